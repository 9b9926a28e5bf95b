import { LimitsService } from '../../src/limits/limits.service';
import { TOKEN_LIMIT_REASON } from '../../src/limits/tenant-limits';
import { RunStatesRepository } from '../../src/run-record/run-states.repository';
import { Engine, startEngine } from './support/engine';

interface CallRow {
  step_index: number;
  skill_id: string;
  status: string;
  input: Record<string, unknown>;
  replayed_from: string | null;
}

describe('the drivers, on a real PostgreSQL', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await startEngine();
  });
  afterAll(async () => {
    await e.close();
  });
  beforeEach(() => {
    e.skill.calls.length = 0;
    e.safeSkill.calls.length = 0;
    e.skill.block = false;
    e.model.requests.length = 0;
    e.model.script = [];
  });

  const calls = (runId: string) =>
    e.dataSource.query<CallRow[]>(
      'SELECT step_index, skill_id, status, input, replayed_from FROM tool_calls WHERE run_id = $1 ORDER BY step_index',
      [runId],
    );
  const run = async (runId: string) =>
    (
      await e.dataSource.query<
        { status: string; error_message: string | null; result: string | null; planner: string; plan: unknown }[]
      >('SELECT status, error_message, result, planner, plan FROM runs WHERE id = $1', [runId])
    )[0];

  describe('plan-based', () => {
    it('records the plan before any step, runs the steps in order and completes', async () => {
      const agent = await e.agent();
      e.planner.steps = [
        { skill: 'fake_lookup', input: { note: 'first' } },
        { skill: 'fake_effect', input: { note: 'second' } },
      ];
      const runId = await e.goal(agent);
      await e.drain();
      expect(await run(runId)).toMatchObject({ status: 'completed', planner: 'scripted@1' });
      expect((await run(runId)).plan).toEqual(e.planner.steps);
      expect((await calls(runId)).map((c) => [c.skill_id, c.status])).toEqual([
        ['fake_lookup', 'succeeded'],
        ['fake_effect', 'succeeded'],
      ]);
      // The input as the skill ran it: its schema's default filled in.
      expect((await calls(runId))[0].input).toEqual({ note: 'first', limit: 10 });
    });

    it('resumes after a crash: a finished step is not run again, an interrupted safe one is', async () => {
      const agent = await e.agent();
      e.planner.steps = [
        { skill: 'fake_effect', input: { note: 'done before' } },
        { skill: 'fake_lookup', input: { note: 'interrupted' } },
      ];
      const runId = await e.goal(agent);
      const [first] = await e.claim('crashing');
      e.safeSkill.block = true;
      void e.executor.execute(first, 'crashing', new AbortController().signal);
      await e.safeSkill.nextCall();
      e.safeSkill.block = false;
      // The worker "dies": its lease lapses and the run is reclaimed.
      await e.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
      await e.queue.reclaimExpired();
      await e.drain('recovering');
      expect(await run(runId)).toMatchObject({ status: 'completed' });
      expect(e.skill.calls).toHaveLength(1);
      expect(e.safeSkill.calls).toHaveLength(2);
    });

    it('fails an invalid plan without running anything', async () => {
      const agent = await e.agent();
      e.planner.steps = [{ skill: 'no_such_skill', input: {} }];
      const runId = await e.goal(agent);
      await e.drain();
      expect(await run(runId)).toMatchObject({
        status: 'failed',
        error_message: 'invalid plan: step 0: unknown skill no_such_skill',
      });
    });
  });

  describe('model-based', () => {
    it('runs the tools the model asks for, then completes with its answer', async () => {
      const agent = await e.agent({ planner: 'llm' });
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'look' } }] }, { text: 'found it' }];
      const runId = await e.goal(agent);
      await e.drain();
      expect(await run(runId)).toMatchObject({ status: 'completed', result: 'found it' });
      expect(e.model.requests).toHaveLength(2);
      // The second request carries the tool's result.
      expect(JSON.stringify(e.model.requests[1].messages)).toContain('tool_result');
      expect((await calls(runId)).map((c) => c.step_index)).toEqual([1]);
    });

    it('resumes after a crash from its record: answered model calls are not asked again', async () => {
      const agent = await e.agent({ planner: 'llm' });
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'slow' } }] }, { text: 'after the crash' }];
      const runId = await e.goal(agent);
      const [first] = await e.claim('crashing');
      e.safeSkill.block = true;
      void e.executor.execute(first, 'crashing', new AbortController().signal);
      await e.safeSkill.nextCall();
      e.safeSkill.block = false;
      expect(e.model.requests).toHaveLength(1);
      await e.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
      await e.queue.reclaimExpired();
      await e.drain('recovering');
      expect(await run(runId)).toMatchObject({ status: 'completed', result: 'after the crash' });
      // The first answer came from the record; only the second call was asked.
      expect(e.model.requests).toHaveLength(2);
      const [row] = await e.dataSource.query<{ model_calls: number }[]>(
        'SELECT count(*)::int AS model_calls FROM model_calls WHERE run_id = $1',
        [runId],
      );
      expect(row.model_calls).toBe(2);
    });

    it('makes no model call once the tenant spent its day: waits (no attempt) for tomorrow, or fails', async () => {
      const [{ id: tenant }] = await e.dataSource.query<{ id: string }[]>(
        `SELECT id FROM tenants WHERE slug = 'default'`,
      );
      const limits = e.module.get(LimitsService);
      const setLimits = async (value: object) => {
        await e.dataSource.query('UPDATE tenants SET limits = $2 WHERE id = $1', [tenant, JSON.stringify(value)]);
        limits.forget(tenant);
      };
      // Only what this test counts: earlier tests' calls are in the same tenant and day.
      await e.dataSource.query('DELETE FROM model_usage WHERE tenant_id = $1', [tenant]);
      await e.dataSource.query(
        `INSERT INTO model_usage (tenant_id, day, provider, model, calls, input_tokens, output_tokens)
         VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 'fake', 'fake-1', 1, 70, 30)`,
        [tenant],
      );
      try {
        await setLimits({ model_tokens_per_day: 100 });
        const agent = await e.agent({ planner: 'llm' });
        e.model.script = [{ text: 'too late' }];
        const runId = await e.goal(agent);
        await e.drain();
        expect(e.model.requests).toHaveLength(0);
        const [waiting] = await e.dataSource.query<
          {
            status: string;
            error_message: string;
            attempts: number;
            tomorrow: boolean;
            model_wait_since: Date | null;
          }[]
        >(
          `SELECT status, error_message, attempts, model_wait_since,
                  available_at = ((now() AT TIME ZONE 'UTC')::date + 1) AT TIME ZONE 'UTC' AS tomorrow
             FROM runs WHERE id = $1`,
          [runId],
        );
        expect(waiting).toMatchObject({ status: 'pending', attempts: 0, tomorrow: true, model_wait_since: null });
        expect(waiting.error_message).toMatch(new RegExp(`^${TOKEN_LIMIT_REASON} \\(100 of 100 model_tokens_per_day`));

        // A raised limit, and the wake the tenant's update sends: it goes on and the model answers.
        await setLimits({ model_tokens_per_day: 1000 });
        await e.inDefault(e.module.get(RunStatesRepository)).wakeTokenLimited(tenant, TOKEN_LIMIT_REASON);
        await e.drain();
        expect(await run(runId)).toMatchObject({ status: 'completed', result: 'too late' });
        expect(e.model.requests).toHaveLength(1);

        await setLimits({ model_tokens_per_day: 100, on_token_limit: 'fail' });
        e.model.requests.length = 0;
        const failing = await e.goal(agent);
        await e.drain();
        expect(e.model.requests).toHaveLength(0);
        expect(await run(failing)).toMatchObject({ status: 'failed' });
        expect((await run(failing)).error_message).toContain(TOKEN_LIMIT_REASON);
      } finally {
        await setLimits({});
        await e.dataSource.query('DELETE FROM model_usage WHERE tenant_id = $1', [tenant]);
      }
    });

    it('stops partial at max_steps, without running the tools no model call could read', async () => {
      const agent = await e.agent({ planner: 'llm', maxSteps: 1 });
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: {} }] }];
      const runId = await e.goal(agent);
      await e.drain();
      expect(await run(runId)).toMatchObject({ status: 'partial' });
      expect(e.model.requests[0].toolChoice).toBe('none');
      expect(e.safeSkill.calls).toHaveLength(0);
    });

    it('a recorded replay asks no model and runs no tool, and a model that leaves out a default does not diverge', async () => {
      const agent = await e.agent({ planner: 'llm' });
      // The model leaves out `limit` (schema default 10): the call records it filled in.
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'defaults' } }] }, { text: 'the answer' }];
      const original = await e.goal(agent);
      await e.drain();
      expect((await calls(original))[0].input).toEqual({ note: 'defaults', limit: 10 });
      e.model.requests.length = 0;
      e.safeSkill.calls.length = 0;

      for (const mode of ['recorded', 'model_live'] as const) {
        if (mode === 'model_live') {
          e.model.requests.length = 0;
          e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'defaults' } }] }, { text: 'the answer' }];
        }
        const replay = await e.replay(agent, original, mode);
        await e.drain();
        expect(await run(replay)).toMatchObject({ status: 'completed', result: 'the answer' });
        expect(e.model.requests).toHaveLength(mode === 'recorded' ? 0 : 2);
        expect(e.safeSkill.calls).toHaveLength(0);
        expect((await calls(replay))[0].replayed_from).not.toBeNull();
      }
    });

    it('a replay whose model asks for another input stops with the divergence', async () => {
      const agent = await e.agent({ planner: 'llm' });
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'a' } }] }, { text: 'done' }];
      const original = await e.goal(agent);
      await e.drain();
      e.model.requests.length = 0;
      e.model.script = [{ tools: [{ name: 'fake_lookup', input: { note: 'b' } }] }];
      const replay = await e.replay(agent, original, 'model_live');
      await e.drain();
      const ended = await run(replay);
      expect(ended.status).toBe('failed');
      expect(ended.error_message).toBe(
        'replay diverged at step 1: the original called fake_lookup at step 1 with another input',
      );
    });
  });
});
