import { storable } from '../common/storable';
import type { AssistantBlock } from './model.types';

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ID = 200;

/** Text fit for PostgreSQL (jsonb, where answers are recorded) and for every provider. */
const clean = (text: string): string => storable(text);

function cleanValue(value: unknown): unknown {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) return value.map(cleanValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), cleanValue(v)]));
  }
  return value;
}

/**
 * A provider's answer made safe to record and to send back to any provider: no NUL characters,
 * no empty text blocks (Anthropic refuses them), tool names as providers allow them (an invented
 * name is kept recognisable but cannot overflow a column), and every tool_use with a unique id
 * (made up from its position when missing, so a replay of the record stays the same).
 */
export function sanitizeAnswer(blocks: AssistantBlock[], callIndex: number): AssistantBlock[] {
  const seen = new Set<string>();
  const out: AssistantBlock[] = [];
  for (const [k, block] of blocks.entries()) {
    if (block.type === 'text') {
      const text = clean(block.text);
      if (text.trim()) out.push({ type: 'text', text });
      continue;
    }
    let id = typeof block.id === 'string' ? clean(block.id).slice(0, MAX_ID) : '';
    if (!id || seen.has(id)) id = `call_${callIndex}_${k}`;
    seen.add(id);
    const name = TOOL_NAME.test(block.name)
      ? block.name
      : clean(String(block.name))
          .replace(/[^A-Za-z0-9_-]/g, '_')
          .slice(0, 64) || 'unnamed';
    out.push({ type: 'tool_use', id, name, input: cleanValue(block.input) as Record<string, unknown> });
  }
  return out;
}
