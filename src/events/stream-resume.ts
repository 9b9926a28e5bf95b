import { InvalidInputError } from '../common/domain-error';

/** `Last-Event-ID` (what a reconnecting EventSource sends) or `?after=`: the id to resume after. */
export function resumePoint(after: number | undefined, lastEventId: string | undefined): number {
  if (lastEventId === undefined || lastEventId === '') return after ?? 0;
  if (!/^\d{1,15}$/.test(lastEventId)) {
    throw new InvalidInputError('Last-Event-ID', 'Last-Event-ID must be an event id (a whole number)');
  }
  return Math.max(Number(lastEventId), after ?? 0);
}

export const SSE_DESCRIPTION =
  'Server-Sent Events: `id:` = event id, `event:` = type, `data:` = the event envelope as JSON ' +
  '`{id, type, agent_id, run_id, created_at, data}`. Stored events after the resume point come first, ' +
  'then live ones, each once; a `: heartbeat` comment keeps an idle stream open. Resume with the ' +
  '`Last-Event-ID` header (browsers send it by themselves) or `?after=`. Read it with an EventSource ' +
  '(or any SSE client), not as JSON.';
