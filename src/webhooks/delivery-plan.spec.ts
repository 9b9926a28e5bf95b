import { planDeliveries } from './delivery-plan';

describe('planDeliveries', () => {
  const a = '00000000-0000-4000-8000-00000000000a';
  const b = '00000000-0000-4000-8000-00000000000b';
  const events = [
    { id: 1, agent_id: a, type: 'run.created' },
    { id: 2, agent_id: b, type: 'memory.created' },
    { id: 3, agent_id: a, type: 'agent.deleted' },
  ];

  it('sends each event to the webhooks of its own agent whose filter matches', () => {
    const rows = planDeliveries(events, [
      { tenantId: 't', id: 'all-a', agentId: a, events: null },
      { tenantId: 't', id: 'runs-a', agentId: a, events: ['run.*'] },
      { tenantId: 't', id: 'memory-b', agentId: b, events: ['memory.created', 'agent.*'] },
      { tenantId: 't', id: 'runs-b', agentId: b, events: ['run.completed'] },
    ]);
    expect(rows).toEqual([
      { tenantId: 't', webhookId: 'all-a', eventId: 1, eventType: 'run.created' },
      { tenantId: 't', webhookId: 'runs-a', eventId: 1, eventType: 'run.created' },
      { tenantId: 't', webhookId: 'memory-b', eventId: 2, eventType: 'memory.created' },
      { tenantId: 't', webhookId: 'all-a', eventId: 3, eventType: 'agent.deleted' },
    ]);
  });

  it('plans nothing without webhooks', () => {
    expect(planDeliveries(events, [])).toEqual([]);
  });
});
