import { ApprovalNotPendingError, RunNotWaitingError } from '../../src/runs/run.errors';
import { Engine, startEngine } from './support/engine';

describe('the approval service, on a real PostgreSQL', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await startEngine({ AOS_APPROVAL_TTL_MS: '60000' });
  });
  afterAll(async () => {
    await e.close();
  });
  beforeEach(() => {
    e.skill.calls.length = 0;
    e.safeSkill.calls.length = 0;
  });

  const status = (runId: string) => e.status(runId);
  const callStatus = async (runId: string) =>
    (
      await e.dataSource.query<{ status: string; error: string | null }[]>(
        'SELECT status, error FROM tool_calls WHERE run_id = $1 ORDER BY step_index',
        [runId],
      )
    ).map((c) => c.status);

  /** A planned run whose side-effect step waits for a person (approval: side_effects). */
  async function waitingRun(): Promise<{ agent: string; runId: string }> {
    const agent = await e.agent({ approval: 'side_effects' });
    e.planner.steps = [
      { skill: 'fake_lookup', input: { note: 'read first' } },
      { skill: 'fake_effect', input: { note: 'then change something' } },
    ];
    const runId = await e.goal(agent);
    await e.drain();
    return { agent, runId };
  }

  it('asks a person for a call that changes something outside, and the run leaves its worker', async () => {
    const { runId } = await waitingRun();
    expect(await status(runId)).toBe('waiting_approval');
    expect(await callStatus(runId)).toEqual(['succeeded', 'awaiting_approval']);
    expect(e.skill.calls).toHaveLength(0);
    const [run] = await e.dataSource.query<{ lease_owner: string | null; error_message: string }[]>(
      'SELECT lease_owner, error_message FROM runs WHERE id = $1',
      [runId],
    );
    expect(run).toEqual({ lease_owner: null, error_message: 'waiting for approval of fake_effect (step 1)' });
    const [event] = await e.dataSource.query<{ data: { pending_approvals: { skill: string; reason: string }[] } }[]>(
      `SELECT data FROM events WHERE run_id = $1 AND type = 'run.waiting_approval'`,
      [runId],
    );
    expect(event.data.pending_approvals).toEqual([
      expect.objectContaining({
        skill: 'fake_effect',
        reason: 'it changes something outside AOS (approval: side_effects)',
      }),
    ]);
  });

  it('an approval sends the run back to the queue, and the approved call runs once', async () => {
    const { agent, runId } = await waitingRun();
    await e.approvals.answer({ agentId: agent, runId }, { approve: true, by: 'ops', reason: null });
    expect(await status(runId)).toBe('pending');
    await e.drain();
    expect(await status(runId)).toBe('completed');
    expect(e.skill.calls).toHaveLength(1);
    // The safe first step was not run again.
    expect(e.safeSkill.calls).toHaveLength(1);
    expect(await callStatus(runId)).toEqual(['succeeded', 'succeeded']);
  });

  it('a rejection fails the step with the reason, and the call never runs', async () => {
    const { agent, runId } = await waitingRun();
    await e.approvals.answer({ agentId: agent, runId }, { approve: false, by: 'ops', reason: 'not today' });
    await e.drain();
    expect(e.skill.calls).toHaveLength(0);
    const [run] = await e.dataSource.query<{ status: string; error_message: string }[]>(
      'SELECT status, error_message FROM runs WHERE id = $1',
      [runId],
    );
    expect(run).toEqual({
      status: 'partial',
      error_message: 'step 1 (fake_effect): a person (ops) rejected this call; it was not made: not today',
    });
  });

  it('an answer for a call that does not wait, or a run that does not, is refused with a reason', async () => {
    const { agent, runId } = await waitingRun();
    await expect(
      e.approvals.answer(
        { agentId: agent, runId },
        { approve: true, toolCallId: '00000000-0000-4000-8000-000000000000', by: null, reason: null },
      ),
    ).rejects.toBeInstanceOf(ApprovalNotPendingError);
    await e.approvals.answer({ agentId: agent, runId }, { approve: true, by: null, reason: null });
    await expect(
      e.approvals.answer({ agentId: agent, runId }, { approve: true, by: null, reason: null }),
    ).rejects.toBeInstanceOf(RunNotWaitingError);
  });

  it('nobody answering in time expires the call and cancels the run, saying which and why', async () => {
    const { runId } = await waitingRun();
    await e.dataSource.query(
      `UPDATE tool_calls SET approval_expires_at = now() - interval '1 second' WHERE run_id = $1`,
      [runId],
    );
    expect(await e.approvals.expire()).toBeGreaterThanOrEqual(1);
    const [run] = await e.dataSource.query<{ status: string; error_message: string }[]>(
      'SELECT status, error_message FROM runs WHERE id = $1',
      [runId],
    );
    expect(run.status).toBe('cancelled');
    expect(run.error_message).toMatch(/^cancelled: nobody answered the approval of fake_effect \(step 1\) within 60 s/);
    expect(await callStatus(runId)).toEqual(['succeeded', 'expired']);
    // A second pass finds nothing left to do.
    expect(await e.approvals.expire()).toBe(0);
  });

  it('cancelling a waiting run closes the calls that waited with it', async () => {
    const { agent, runId } = await waitingRun();
    await e.runs.cancel(agent, runId);
    expect(await status(runId)).toBe('cancelled');
    expect(await callStatus(runId)).toEqual(['succeeded', 'cancelled']);
    await expect(
      e.approvals.answer({ agentId: agent, runId }, { approve: true, by: null, reason: null }),
    ).rejects.toBeInstanceOf(RunNotWaitingError);
  });

  it('a tainted model-driven run asks before a call that can carry data out', async () => {
    const agent = await e.agent({ planner: 'llm', approval: 'side_effects' });
    const runId = await e.goal(agent);
    await e.dataSource.query(
      `UPDATE runs SET taint = '{"step":0,"skill":"http_call","at":"2026-12-06T00:00:00Z","source":"https://x.org"}' WHERE id = $1`,
      [runId],
    );
    e.safeSkill.manifest.egress = true;
    e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'send it out' } }] }];
    try {
      await e.drain();
    } finally {
      e.safeSkill.manifest.egress = false;
    }
    expect(await status(runId)).toBe('waiting_approval');
    const [call] = await e.dataSource.query<{ approval_requested_reason: string }[]>(
      'SELECT approval_requested_reason FROM tool_calls WHERE run_id = $1',
      [runId],
    );
    expect(call.approval_requested_reason).toBe('tainted at step 0 by http_call');
    expect(e.safeSkill.calls).toHaveLength(0);
  });
});
