import type { Colors } from 'picocolors/types.js';
import { AosApiError } from '../errors.js';
import type {
  Actor,
  Agent,
  ApiKey,
  AosEvent,
  CompareCall,
  ModelCall,
  PendingApproval,
  Run,
  RunComparison,
  RunStatus,
  SigningKey,
  Tenant,
  TenantLimits,
  TenantUsage,
  ToolCall,
} from '../types.js';

/** How an event line reads; `showRun` for a stream that mixes runs (`events tail` of an agent). */
export interface EventLineOptions {
  showRun?: boolean;
}

// eslint-disable-next-line no-control-regex -- ANSI colour sequences are control characters by definition
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

/** At most `max` characters of one line: newlines flattened, the cut marked. */
export function clip(text: string, max = 120): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** JSON on one line, cut to `max`. */
export const inline = (value: unknown, max = 120): string => clip(JSON.stringify(value) ?? 'null', max);

export const shortId = (id: string | null | undefined): string => (id ? id.slice(0, 8) : '-');

/** Local wall-clock time of an ISO timestamp, `HH:MM:SS`. */
export function clock(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function colourStatus(status: string, c: Colors): string {
  switch (status) {
    case 'completed':
    case 'succeeded':
    case 'approved':
    case 'active':
      return c.green(status);
    case 'failed':
    case 'rejected':
    case 'stopped':
      return c.red(status);
    case 'partial':
    case 'waiting_approval':
    case 'awaiting_approval':
    case 'expired':
    case 'paused':
    case 'suspended':
    case 'cancelled':
      return c.yellow(status);
    default:
      return status;
  }
}

const str = (value: unknown): string => (typeof value === 'string' ? value : value == null ? '' : inline(value));
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const ms = (value: unknown): string => (num(value) === undefined ? '' : ` (${num(value)} ms)`);

/** What happened, in words: the part of an event line after its time. */
export function describeEvent(event: AosEvent, c: Colors): string {
  const d = event.data;
  const step = `step ${str(d.step)}`;
  switch (event.type) {
    case 'agent.created':
      return `agent created: ${str(d.name)} (${str(d.planner)})`;
    case 'agent.updated':
      return `agent updated: ${inline(d.changes ?? d)}`;
    case 'agent.paused':
    case 'agent.resumed':
    case 'agent.stopped':
    case 'agent.deleted':
      return `agent ${event.type.slice('agent.'.length)}`;
    case 'run.created':
      return `run created: ${JSON.stringify(clip(str(d.goal), 100))} (priority ${str(d.priority)})`;
    case 'run.started':
      return `run started (attempt ${str(d.attempt)})`;
    case 'run.retrying':
      return (
        c.yellow(`run retrying: ${str(d.reason) || 'requeued'}`) + c.dim(` (next at ${clock(str(d.next_attempt_at))})`)
      );
    case 'run.waiting_approval':
      return c.yellow('run waiting for approval');
    case 'run.tainted':
      return c.yellow(
        `run tainted at ${step} by ${str(d.skill)}${d.source ? ` (${str(d.source)})` : ''}: outside content is in its context`,
      );
    case 'run.completed':
    case 'run.failed':
    case 'run.partial':
    case 'run.cancelled': {
      const status = event.type.slice('run.'.length);
      const error = str(d.error_message);
      return c.bold(`run ${colourStatus(status, c)}`) + (error ? `: ${clip(error, 200)}` : '');
    }
    case 'run.step.started':
      return `${step} ${c.cyan(str(d.skill))} started`;
    case 'run.step.completed': {
      const error = str(d.error);
      return `${step} ${c.cyan(str(d.skill))} ${colourStatus(str(d.status), c)}${c.dim(ms(d.duration_ms))}${error ? `: ${clip(error, 160)}` : ''}`;
    }
    case 'run.model_call.completed': {
      const tools = num(d.tool_calls) ?? 0;
      return (
        `model call #${str(d.index)} ${str(d.provider)}/${str(d.model)}: ` +
        `${str(d.input_tokens)}→${str(d.output_tokens)} tokens, stop ${str(d.stop_reason)}` +
        (tools ? `, ${tools} tool call${tools === 1 ? '' : 's'}` : '') +
        c.dim(ms(d.duration_ms))
      );
    }
    case 'run.approval.requested':
      return (
        c.yellow(`approval requested: ${step} ${str(d.skill)} ${inline(d.input, 80)}`) +
        (d.reason ? c.dim(` because ${str(d.reason)}`) : '') +
        c.dim(` (call ${str(d.tool_call_id)})`)
      );
    case 'run.approval.granted':
      return `approval granted: ${step} ${str(d.skill)}${d.by ? ` by ${str(d.by)}` : ''}`;
    case 'run.approval.rejected':
      return `approval rejected: ${step} ${str(d.skill)}${d.by ? ` by ${str(d.by)}` : ''}${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'run.approval.expired':
      return c.yellow(`approval expired: ${step} ${str(d.skill)}`);
    case 'memory.created':
      return `memory created: ${str(d.memory_type)}, ${str(d.chars)} chars ${c.dim(shortId(str(d.memory_id)))}`;
    case 'memory.deleted':
      return `memory deleted ${c.dim(shortId(str(d.memory_id)))}`;
    case 'webhook.disabled':
      return c.red(`webhook ${shortId(str(d.webhook_id))} disabled (${str(d.reason)}): ${clip(str(d.detail), 160)}`);
  }
}

/** One line per event: `HH:MM:SS  [run xxxxxxxx]  what happened`. */
export function formatEvent(event: AosEvent, c: Colors, options: EventLineOptions = {}): string {
  const run = options.showRun ? `${c.dim(event.run_id ? `run ${shortId(event.run_id)}` : 'agent       ')}  ` : '';
  return `${c.dim(clock(event.created_at))}  ${run}${describeEvent(event, c)}`;
}

/** Columns padded to their widest cell (colours do not count). */
export function formatTable(headers: string[], rows: string[][], c: Colors): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [c.bold(line(headers)), ...rows.map(line)];
}

/** `key: value` lines, keys aligned; empty values left out. */
export function formatFields(fields: [string, string | null | undefined][], c: Colors): string[] {
  const shown = fields.filter((f): f is [string, string] => f[1] !== null && f[1] !== undefined && f[1] !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${c.dim(`${k}:`.padEnd(width + 1))} ${v}`);
}

export function formatAgent(agent: Agent, c: Colors): string[] {
  const models = agent.models ? Object.entries(agent.models).map(([p, m]) => `${p}=${String(m)}`) : [];
  return formatFields(
    [
      ['id', agent.id],
      ['name', c.bold(agent.name)],
      ['status', colourStatus(agent.status, c)],
      ['planner', agent.planner],
      ['approval', agent.approval],
      ['max runs', String(agent.max_concurrent_runs)],
      ['max steps', String(agent.max_steps)],
      ['skills', agent.skills ? agent.skills.join(', ') : 'all'],
      ['models', models.join(', ')],
      ['instructions', agent.instructions ? clip(agent.instructions, 200) : null],
      [
        'usage',
        `${agent.usage.model_calls} model calls, ${agent.usage.input_tokens}→${agent.usage.output_tokens} tokens`,
      ],
      ['created', agent.created_at],
    ],
    c,
  );
}

/** The limits in words, in the order `tenants limits` takes them; `none` when none is set. */
export function describeLimits(limits: TenantLimits | undefined): string {
  const parts: string[] = [];
  const add = (name: string, value: number | string | null | undefined) => {
    if (value !== undefined && value !== null) parts.push(`${name} ${value}`);
  };
  add('agents', limits?.agents);
  add('runs in flight', limits?.runs_in_flight);
  add('model tokens per day', limits?.model_tokens_per_day);
  add('on token limit', limits?.on_token_limit);
  add('requests per minute', limits?.requests_per_minute);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function formatTenant(tenant: Tenant, c: Colors): string[] {
  return formatFields(
    [
      ['id', tenant.id],
      ['slug', c.bold(tenant.slug)],
      ['name', tenant.name],
      ['status', colourStatus(tenant.status, c)],
      ['limits', describeLimits(tenant.limits)],
      ['created', tenant.created_at],
    ],
    c,
  );
}

/** A usage report: a line per day (tokens, model calls, runs by status), then its model calls by model. */
export function formatUsage(usage: TenantUsage, c: Colors): string[] {
  const lines = formatFields(
    [
      ['tenant', usage.tenant_id],
      ['days', `${usage.from} to ${usage.to} (UTC)`],
    ],
    c,
  );
  if (usage.days.length === 0) return [...lines, '', c.dim('no model calls and no runs on these days')];
  const runs = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${colourStatus(status, c)} ${n}`)
      .join(', ');
  lines.push(
    '',
    ...formatTable(
      ['day', 'model tokens', 'model calls', 'runs'],
      usage.days.map((d) => [
        d.day,
        String(d.model_tokens),
        String(d.models.reduce((sum, m) => sum + m.calls, 0)),
        runs(d.runs),
      ]),
      c,
    ),
  );
  const models = usage.days.flatMap((d) => d.models.map((m) => ({ day: d.day, ...m })));
  if (models.length > 0) {
    lines.push(
      '',
      c.bold('model calls'),
      ...formatTable(
        ['day', 'model', 'calls', 'tokens'],
        models.map((m) => [m.day, `${m.provider}/${m.model}`, String(m.calls), `${m.input_tokens}→${m.output_tokens}`]),
        c,
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** A signing key as a table row: its kid, algorithm, creation, and whether it signs. */
export const formatSigningKeyRow = (key: SigningKey, c: Colors): string[] => [
  key.kid,
  key.alg,
  key.created_at,
  key.retired_at === null ? c.green('signs') : `retired ${key.retired_at}`,
];

/** Who acted: `operator`, or `key <id>`. */
export const describeActor = (actor: Actor | null): string =>
  actor === null ? '-' : actor.kind === 'operator' ? 'operator' : `key ${shortId(actor.id)}`;

/** A key as lists show it: the visible part only, `aos_<prefix>_…`. */
export const visibleKey = (key: Pick<ApiKey, 'prefix'>): string => `aos_${key.prefix}_…`;

export function formatKeyRow(key: ApiKey): string[] {
  return [
    key.id,
    key.name,
    visibleKey(key),
    key.scopes.join(','),
    describeActor(key.created_by),
    key.created_at,
    key.expires_at ?? 'never',
    key.last_used_at ?? '-',
  ];
}

function toolCallRow(call: ToolCall, c: Colors): string[] {
  return [
    String(call.step),
    c.cyan(call.skill_id),
    colourStatus(call.status, c),
    call.duration_ms === null ? '' : `${call.duration_ms} ms`,
    call.error ? clip(call.error, 80) : inline(call.input, 60),
  ];
}

/** A run's model calls and tool calls as two tables (each left out when empty). */
export function formatCalls(modelCalls: ModelCall[], toolCalls: ToolCall[], c: Colors): string[] {
  const lines: string[] = [];
  if (modelCalls.length > 0) {
    lines.push('', c.bold('model calls'));
    lines.push(
      ...formatTable(
        ['#', 'step', 'model', 'status', 'tokens', 'stop'],
        modelCalls.map((m) => [
          String(m.index),
          String(m.step),
          `${m.provider ?? '?'}/${m.model ?? '?'}`,
          colourStatus(m.status, c),
          m.input_tokens === null ? '' : `${m.input_tokens}→${m.output_tokens ?? 0}`,
          m.stop_reason ?? (m.error ? clip(m.error, 60) : ''),
        ]),
        c,
      ).map((l) => `  ${l}`),
    );
  }
  if (toolCalls.length > 0) {
    lines.push('', c.bold('tool calls'));
    lines.push(
      ...formatTable(
        ['step', 'skill', 'status', 'took', 'input / error'],
        toolCalls.map((t) => toolCallRow(t, c)),
        c,
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** A run in full: status, goal, result or error, its calls and what it waits for. */
export function formatRun(run: Run, c: Colors): string[] {
  const lines = formatFields(
    [
      ['run', run.id],
      ['status', c.bold(colourStatus(run.status, c))],
      ['goal', clip(run.goal, 200)],
      ['agent', run.agent_id],
      ['planner', run.planner],
      ['replay of', run.replay_of ? `${run.replay_of} (${run.replay_mode ?? '?'})` : null],
      ['attempts', String(run.attempts)],
      ['created', run.created_at],
      ['completed', run.completed_at],
      [
        'usage',
        run.usage.model_calls
          ? `${run.usage.model_calls} model calls, ${run.usage.input_tokens}→${run.usage.output_tokens} tokens`
          : null,
      ],
      ['error', run.error_message ? c.red(run.error_message) : null],
    ],
    c,
  );
  if (run.result) lines.push('', c.bold('result'), run.result);
  lines.push(...formatCalls(run.model_calls, run.tool_calls, c));
  return lines;
}

/** How to run another CLI command: the program name as invoked, and the flags that reach the same server. */
export interface CommandPrefix {
  program: string;
  /** `--url …` when the URL came from a flag (the key never appears: it is a secret). */
  flags: string[];
}

const quoteArg = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function commandLine(prefix: CommandPrefix, args: string[]): string {
  return [prefix.program, ...prefix.flags, ...args].map((a, i) => (i === 0 ? a : quoteArg(a))).join(' ');
}

/** The calls a run waits on, each with the commands that answer it. */
export function formatPendingApprovals(run: Run, prefix: CommandPrefix, c: Colors): string[] {
  const lines = [c.yellow(c.bold(`run ${run.id} is waiting for approval`))];
  const answer = (verb: string, call: PendingApproval, extra: string[] = []) =>
    commandLine(prefix, ['runs', verb, run.agent_id, run.id, '--call', call.tool_call_id, ...extra]);
  for (const call of run.pending_approvals) {
    lines.push(
      '',
      ...formatFields(
        [
          ['skill', c.cyan(call.skill)],
          ['step', String(call.step)],
          ['tool_call_id', call.tool_call_id],
          ['input', JSON.stringify(call.input)],
          ['why', call.reason],
          ['expires', call.expires_at],
        ],
        c,
      ).map((l) => `  ${l}`),
      `  approve: ${answer('approve', call)}`,
      `  reject:  ${answer('reject', call, ['--reason', 'why not'])}`,
    );
  }
  return lines;
}

/** The final line of a watched run. */
export function formatOutcome(status: RunStatus, c: Colors): string {
  return `${c.bold('status:')} ${colourStatus(status, c)}`;
}

/** A compared call as one table cell: the skill and its input, or the model that answered. */
export function describeCompareCall(call: CompareCall | null): string {
  if (!call) return '—';
  if (call.kind === 'tool_call') return clip(`${call.skill ?? '?'} ${call.status} ${inline(call.input ?? {}, 40)}`, 70);
  const asked = call.tool_calls?.length ? ` → ${call.tool_calls.join(', ')}` : '';
  const model = [call.provider, call.model].filter((x) => typeof x === 'string').join('/');
  return clip(`model ${model} ${call.status}${asked}`, 70);
}

/** `runs compare` for people: both runs' outcome, then their calls side by side, step by step. */
export function formatComparison(comparison: RunComparison, c: Colors): string[] {
  const { left, right, steps } = comparison;
  const outcome = (run: typeof left) => clip(run.result ?? run.error_message ?? '', 50);
  const tokens = (run: typeof left) => `${run.usage.input_tokens}→${run.usage.output_tokens}`;
  const rows = [['status', colourStatus(left.status, c), colourStatus(right.status, c)]];
  if (outcome(left) || outcome(right)) rows.push(['result', outcome(left), outcome(right)]);
  if (left.usage.model_calls || right.usage.model_calls) rows.push(['tokens', tokens(left), tokens(right)]);
  const lines = formatTable(['', `run ${shortId(left.id)}`, `run ${shortId(right.id)}`], rows, c);
  lines.push(
    '',
    comparison.same_result ? c.green('same result') : c.yellow('different results'),
    comparison.first_difference === null
      ? c.green('the same calls at every step')
      : c.yellow(`first difference at step ${comparison.first_difference}`),
  );
  if (steps.length > 0) {
    lines.push(
      '',
      ...formatTable(
        ['step', `run ${shortId(left.id)}`, `run ${shortId(right.id)}`, ''],
        steps.map((s) => [
          String(s.step),
          describeCompareCall(s.left),
          describeCompareCall(s.right),
          s.same ? '' : c.yellow('≠'),
        ]),
        c,
      ),
    );
  }
  return lines;
}

/** An error as one line: a server's `detail` or an error's message may hold line breaks. */
export function describeError(error: unknown): string {
  const text =
    error instanceof AosApiError
      ? `${error.status} ${error.detail}`
      : error instanceof Error
        ? error.message
        : String(error);
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
}
