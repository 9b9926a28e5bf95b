import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EventsController, TenantEventsController } from './events.controller';
import { EventsModule } from '../events/events.module';

/**
 * The event log's routes. Apart from EventsModule because they check that the agent exists
 * (AgentsModule), while agents itself appends through EventsModule.
 */
@Module({
  imports: [EventsModule, AgentsModule],
  controllers: [EventsController, TenantEventsController],
})
export class EventsApiModule {}
