import { GoneError } from '../common/domain-error';

export class EventsGoneError extends GoneError {
  constructor(after: number, pruned: number) {
    super(
      'EVENTS.GONE',
      `Events after ${after} are no longer kept (retention pruned up to ${pruned}); start again without after / Last-Event-ID`,
    );
  }
}
