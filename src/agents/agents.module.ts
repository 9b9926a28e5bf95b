import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module';
import { LimitsModule } from '../limits/limits.module';
import { ModelsModule } from '../models/models.module';
import { SkillsModule } from '../skills/skills.module';
import { AgentEvents } from './agent-events';
import { AgentEntity } from './agent.entity';
import { AgentsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';

@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity]), EventsModule, SkillsModule, ModelsModule, LimitsModule],
  controllers: [AgentsController],
  providers: [AgentsService, AgentsRepository, AgentEvents],
  exports: [AgentsService, AgentEvents],
})
export class AgentsModule {}
