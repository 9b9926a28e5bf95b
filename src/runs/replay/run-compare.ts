import type { ModelCallDto, ToolCallDto } from '../../run-record/dto/provenance.dto';
import type { CompareCallDto, CompareStepDto } from '../dto/replay.dto';
import { canonicalJson } from './replay';

interface RunCalls {
  model_calls: ModelCallDto[];
  tool_calls: ToolCallDto[];
}

/**
 * Two runs' calls side by side, by step (a model call and the tool calls it asked for share one
 * step numbering), each pair marked the same or not, and the first step where they differ. Model
 * calls compare by what they answered (text and the calls asked for), not by the provider's ids
 * or stop-reason names; tool calls by skill, input and result.
 */
export function compareCalls(
  left: RunCalls,
  right: RunCalls,
): { steps: CompareStepDto[]; firstDifference: number | null } {
  const l = callsByStep(left);
  const r = callsByStep(right);
  const steps = [...new Set([...l.keys(), ...r.keys()])].sort((a, b) => a - b);
  const compared = steps.map((step) => {
    const a = l.get(step) ?? null;
    const b = r.get(step) ?? null;
    return { step, same: a !== null && b !== null && sameCall(a, b), left: a, right: b };
  });
  return { steps: compared, firstDifference: compared.find((s) => !s.same)?.step ?? null };
}

function callsByStep(run: RunCalls): Map<number, CompareCallDto> {
  const calls = new Map<number, CompareCallDto>();
  for (const m of run.model_calls) calls.set(m.step, modelCallView(m));
  for (const t of run.tool_calls) calls.set(t.step, toolCallView(t));
  return calls;
}

function modelCallView(m: ModelCallDto): CompareCallDto {
  const blocks = (m.content ?? []) as { type?: string; text?: string; name?: string }[];
  return {
    kind: 'model_call',
    status: m.status,
    provider: m.provider,
    model: m.model,
    text: blocks
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join('\n'),
    tool_calls: blocks.filter((b) => b.type === 'tool_use').map((b) => b.name ?? ''),
    input_tokens: m.input_tokens,
    output_tokens: m.output_tokens,
    error: m.error,
    replayed_from: m.replayed_from,
  };
}

function toolCallView(t: ToolCallDto): CompareCallDto {
  return {
    kind: 'tool_call',
    status: t.status,
    skill: t.skill_id,
    input: t.input,
    output: t.output,
    error: t.error,
    replayed_from: t.replayed_from,
  };
}

function sameCall(a: CompareCallDto, b: CompareCallDto): boolean {
  const key = (c: CompareCallDto) =>
    canonicalJson(
      c.kind === 'model_call'
        ? [c.kind, c.status, c.text, c.tool_calls]
        : [c.kind, c.status, c.skill, c.input, c.output ?? null, c.error ?? null],
    );
  return key(a) === key(b);
}
