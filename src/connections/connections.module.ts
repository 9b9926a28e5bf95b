import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ConnectionTester } from './connection-tester';
import { ConnectionsController } from './connections.controller';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionsService } from './connections.service';
import { SecretsModule } from '../secrets/secrets.module';

/**
 * Connections: per-agent accounts for connected skills, their sealed secrets and the key that
 * seals them. Runs resolve a connection through ConnectionsService; skills get it from their
 * context and use the protocol clients in ./protocols, never this module.
 */
@Module({
  imports: [AgentsModule, SecretsModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsRepository, ConnectionsService, ConnectionTester],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
