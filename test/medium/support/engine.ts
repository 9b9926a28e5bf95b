import { Logger, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { inTenant } from '../../../src/common/db-scope';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../../src/config/app-config';
import { ConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { ALL_ENTITIES } from '../../../src/entities';
import { EventsModule } from '../../../src/events/events.module';
import { MetricsModule } from '../../../src/metrics/metrics.module';
import { MODEL_PROVIDERS, ModelProvider } from '../../../src/models/model-provider';
import type { ModelRequest, ModelResponse } from '../../../src/models/model.types';
import { Plan, PLANNER, Planner, PlanStep } from '../../../src/planner/planner';
import type { ClaimedRun } from '../../../src/run-record/run-states.repository';
import { ApprovalsService } from '../../../src/runs/approvals/approvals.service';
import { RunExecutor } from '../../../src/runs/queue/run-executor';
import { RunQueue } from '../../../src/runs/queue/run-queue';
import { RunsModule } from '../../../src/runs/runs.module';
import { RunsService } from '../../../src/runs/runs.service';
import { ReplaysService } from '../../../src/runs/replay/replays.service';
import type { ReplayMode } from '../../../src/run-record/replay-mode.enum';
import { SideEffects, Skill, SkillContext, SkillManifest, SkillResult, SKILLS } from '../../../src/skills/skill';
import { asServiceRole, TEST_API_KEY, TEST_SECRET_KEY } from '../../support/test-app';
import { createTestDatabase, dropTestDatabase } from '../../support/test-database';

/** A call the fake skill got, and the means to finish it when the test says. */
export interface FakeCall {
  input: Record<string, unknown>;
  runId: string;
  step: number;
  signal: AbortSignal;
  /** Ends the call with this output (or lets a blocked call return its default). */
  finish(output?: Record<string, unknown>): void;
  fail(error: Error): void;
}

/**
 * A skill the tests drive: `fake_effect` with the side effects asked for. Each call is recorded;
 * with `block`, a call waits until the test finishes it (a step held open mid-flight).
 */
export class FakeSkill implements Skill {
  readonly calls: FakeCall[] = [];
  block = false;
  private readonly waiters: ((call: FakeCall) => void)[] = [];
  readonly manifest: SkillManifest;

  constructor(id: string, sideEffects: SideEffects) {
    this.manifest = {
      skill_id: id,
      version: '1.0.0',
      description: `a fake skill with side effects ${sideEffects}`,
      capabilities: [],
      input_schema: {
        type: 'object',
        properties: { note: { type: 'string' }, limit: { type: 'integer', default: 10 } },
        additionalProperties: false,
      },
      output_schema: { type: 'object' },
      side_effects: sideEffects,
      reversible: false,
      external_effects: sideEffects !== 'none',
      outside_content: false,
      egress: false,
    };
  }

  /** The next call, once it has been made. */
  nextCall(): Promise<FakeCall> {
    const index = this.calls.length;
    return new Promise((resolve) => {
      if (this.calls[index]) resolve(this.calls[index]);
      else this.waiters.push(resolve);
    });
  }

  execute(input: Record<string, unknown>, context: SkillContext): Promise<SkillResult> {
    return new Promise((resolve, reject) => {
      const call: FakeCall = {
        input,
        runId: context.runId,
        step: context.stepIndex,
        signal: context.signal,
        finish: (output = { done: true }) => resolve({ output }),
        fail: reject,
      };
      context.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      this.calls.push(call);
      this.waiters.shift()?.(call);
      if (!this.block) call.finish({ done: true, note: input.note ?? null });
    });
  }
}

/** A model that answers from a script, in the shape the providers return; counts what it was asked. */
export class ScriptedModel implements ModelProvider {
  readonly name = 'anthropic' as const;
  readonly defaultModel = 'scripted-1';
  readonly requests: ModelRequest[] = [];
  /** One answer per call, in order: tool calls, or a final text. */
  script: ({ tools: { name: string; input: Record<string, unknown> }[] } | { text: string })[] = [];

  complete(request: ModelRequest, model: string, signal: AbortSignal): Promise<ModelResponse> {
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    const turn = this.script[this.requests.length] ?? { text: 'done' };
    this.requests.push(request);
    const index = this.requests.length;
    const content =
      'text' in turn
        ? [{ type: 'text' as const, text: turn.text }]
        : turn.tools.map((t, i) => ({
            type: 'tool_use' as const,
            id: `tu_${index}_${i}`,
            name: t.name,
            input: t.input,
          }));
    return Promise.resolve({
      provider: 'anthropic',
      model,
      content,
      stopReason: 'text' in turn ? 'end_turn' : 'tool_use',
      inputTokens: 10,
      outputTokens: 5,
    });
  }
}

/** A planner that returns the steps the test set for the next goal. */
export class ScriptedPlanner implements Planner {
  readonly name = 'scripted@1';
  steps: PlanStep[] = [];
  plan(): Promise<Plan> {
    return Promise.resolve({ planner: this.name, steps: this.steps });
  }
}

export interface Engine {
  module: TestingModule;
  dataSource: DataSource;
  queue: RunQueue;
  executor: RunExecutor;
  approvals: ApprovalsService;
  /** `target` with every method run inside the default tenant, as the worker runs a claimed run. */
  inDefault<T extends object>(target: T): T;
  runs: RunsService;
  skill: FakeSkill;
  safeSkill: FakeSkill;
  model: ScriptedModel;
  planner: ScriptedPlanner;
  /** A new agent (a row, as the agents module writes it), with settings. */
  agent(settings?: { planner?: 'rule-based' | 'llm'; approval?: string; maxSteps?: number }): Promise<string>;
  /** A goal accepted as the API accepts it, its run id. */
  goal(agentId: string, goal?: string): Promise<string>;
  /** A replay accepted as the API accepts it, its run id. */
  replay(agentId: string, runId: string, mode: 'recorded' | 'model_live' | 'live'): Promise<string>;
  /** Claims what is ready as worker `owner`. */
  claim(owner?: string, leaseMs?: number): Promise<ClaimedRun[]>;
  /** Claims and executes every ready run, one round. */
  drain(owner?: string): Promise<void>;
  status(runId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The run engine on a real PostgreSQL, without HTTP: the config, database, metrics, events and
 * runs modules (which bring the run record, agents, memory, skills, models and planner), with the
 * skills, the model provider and the planner replaced by fakes the test drives. No worker runs:
 * the tests claim and execute themselves.
 */
export async function startEngine(env: Record<string, string> = {}): Promise<Engine> {
  Logger.overrideLogger(false);
  const database = await createTestDatabase('aos_medium');
  const config: AppConfig = {
    ...loadConfig({
      NODE_ENV: 'test',
      AOS_API_KEY: TEST_API_KEY,
      AOS_SECRET_KEY: TEST_SECRET_KEY,
      DATABASE_URL: database.url,
      AOS_WORKER_CONCURRENCY: '0',
      ...env,
    }),
    apiKey: TEST_API_KEY,
    apiKeySource: 'environment',
  };
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot({ config, url: database.url, embedded: null, entities: ALL_ENTITIES }),
      MetricsModule,
      EventsModule,
      RunsModule,
    ],
  })
  class EngineTestModule {}

  const skill = new FakeSkill('fake_effect', 'non_idempotent');
  const safeSkill = new FakeSkill('fake_lookup', 'none');
  const model = new ScriptedModel();
  const planner = new ScriptedPlanner();
  const module = await Test.createTestingModule({ imports: [EngineTestModule] })
    .overrideProvider(SKILLS)
    .useValue([skill, safeSkill])
    .overrideProvider(MODEL_PROVIDERS)
    .useValue([model])
    .overrideProvider(PLANNER)
    .useValue(planner)
    .compile();
  await module.init();
  const dataSource = asServiceRole(module.get(DataSource));
  // The engine works inside a run's tenant (the worker enters it): here, every run is in `default`.
  const [{ id: tenantId }] = await dataSource.query<{ id: string }[]>(`SELECT id FROM tenants WHERE slug = 'default'`);
  const inDefault = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key, receiver) {
        const value: unknown = Reflect.get(object, key, receiver);
        return typeof value === 'function'
          ? (...args: unknown[]) =>
              inTenant(tenantId, () => (value as (...a: unknown[]) => unknown).apply(object, args))
          : value;
      },
    });
  const queue = inDefault(module.get(RunQueue));
  const executor = inDefault(module.get(RunExecutor));
  const runs = inDefault(module.get(RunsService));
  const replays = inDefault(module.get(ReplaysService));
  const claim = (owner = 'worker-a', leaseMs = 60_000) => queue.claim(owner, leaseMs, 50);
  return {
    module,
    dataSource,
    queue,
    executor,
    approvals: inDefault(module.get(ApprovalsService)),
    inDefault,
    runs,
    skill,
    safeSkill,
    model,
    planner,
    async agent(settings = {}) {
      const [row] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO agents (tenant_id, name, planner, approval, max_steps)
         SELECT id, $1, $2, $3, $4 FROM tenants WHERE slug = 'default' RETURNING id`,
        [
          `agent-${Math.random().toString(36).slice(2, 8)}`,
          settings.planner ?? 'rule-based',
          settings.approval ?? 'none',
          settings.maxSteps ?? 8,
        ],
      );
      return row.id;
    },
    async goal(agentId, goal = 'do the thing') {
      return (await runs.submit(agentId, { goal })).run_id;
    },
    async replay(agentId, runId, mode) {
      return (await replays.replay(agentId, runId, { mode: mode as ReplayMode })).run_id;
    },
    claim,
    async drain(owner = 'worker-a') {
      const claimed = await claim(owner);
      await Promise.all(claimed.map((r) => executor.execute(r, owner, new AbortController().signal)));
    },
    async status(runId) {
      const [row] = await dataSource.query<{ status: string }[]>('SELECT status FROM runs WHERE id = $1', [runId]);
      return row.status;
    },
    async close() {
      await module.close();
      await dropTestDatabase(database.name);
    },
  };
}
