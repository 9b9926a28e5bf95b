import { Module } from '@nestjs/common';
import { EventBus } from './event-bus';
import { EventMetrics } from './event-metrics';
import { EventPruner } from './event-pruner';
import { EventSequencer } from './event-sequencer';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { NatsRelay } from './nats-relay';
import { RetentionHolds } from './retention-holds';

/**
 * The event log (outbox): the one way to append (EventsService), its readers (pages, streams, the
 * NATS relay) and its upkeep (sequencer, retention). It depends on no domain module: agents, runs,
 * memory and webhooks append and read through it. Its HTTP routes are EventsApiModule's.
 */
@Module({
  providers: [
    EventsRepository,
    EventsService,
    EventBus,
    EventSequencer,
    EventPruner,
    EventMetrics,
    NatsRelay,
    RetentionHolds,
  ],
  exports: [EventsService, EventBus, NatsRelay, RetentionHolds],
})
export class EventsModule {}
