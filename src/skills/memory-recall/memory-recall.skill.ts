import { storable } from '../../common/storable';
import { Injectable } from '@nestjs/common';
import { MemoryType } from '../memory-type.enum';
import { RecalledItem, Skill, SkillContext, SkillManifest, SkillResult } from '../skill';

interface MemoryRecallInput {
  query: string;
  type?: MemoryType;
  limit?: number;
}

interface MemoryRecallOutput {
  memories: (Omit<RecalledItem, 'text'> & { text: string; truncated: boolean })[];
}

/** Longest memory text handed back to the model; the full text stays in the memory. */
const MAX_TEXT = 4_000;

/** Lets the model search the agent's memory itself (ranked full-text search). */
@Injectable()
export class MemoryRecallSkill implements Skill<MemoryRecallInput, MemoryRecallOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'memory_recall',
    version: '1.0.0',
    description:
      'Search the agent\'s memory (ranked full-text search; web-search syntax: words, "phrases", -exclusions). ' +
      'Returns the best matches, newest first among equals.',
    capabilities: ['memory_read'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['query'],
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 1000, description: 'What to look for' },
        type: { type: 'string', enum: Object.values(MemoryType), description: 'Only memories of this type' },
        limit: { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'How many memories, at most' },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['memories'],
      properties: {
        memories: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'memory_type', 'text', 'created_at', 'rank', 'trusted', 'truncated'],
            properties: {
              id: { type: 'string' },
              memory_type: { type: 'string' },
              text: { type: 'string' },
              created_at: { type: 'string' },
              rank: { type: 'number' },
              trusted: {
                type: 'boolean',
                description: 'False for what came from outside AOS (a page, a mail) or from a tainted run',
              },
              truncated: { type: 'boolean' },
            },
          },
        },
      },
    },
    side_effects: 'none',
    reversible: true,
    external_effects: false,
    // Its output is outside content only when it returns an untrusted memory (see execute).
    outside_content: false,
    egress: false,
  };

  /** A memory from outside AOS is outside content again when it is read back. */
  untrustedOutput(output: MemoryRecallOutput): boolean {
    return output.memories.some((m) => !m.trusted);
  }

  async execute(input: MemoryRecallInput, context: SkillContext): Promise<SkillResult<MemoryRecallOutput>> {
    const found = await context.memory.recall(input.query, { memoryType: input.type, limit: input.limit ?? 5 });
    return {
      output: {
        memories: found.map((m) => ({
          ...m,
          text: m.text.length > MAX_TEXT ? storable(m.text, MAX_TEXT) : m.text,
          truncated: m.text.length > MAX_TEXT,
        })),
      },
    };
  }
}
