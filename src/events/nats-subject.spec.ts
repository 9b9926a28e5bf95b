import type { StoredEvent } from './events.repository';
import { subjectOf } from './nats-relay';

describe('subjectOf', () => {
  const event = { tenant_id: 't1', agent_id: 'a1', type: 'run.completed' } as StoredEvent;

  it('names the tenant, then the agent, then the type', () => {
    expect(subjectOf(event)).toBe('aos.events.t1.a1.run.completed');
    expect(subjectOf(event, 'other')).toBe('aos.events.t1.a1.run.completed');
  });

  it('keeps the subject from before tenancy for the legacy (default) tenant', () => {
    expect(subjectOf(event, 't1')).toBe('aos.events.a1.run.completed');
  });
});
