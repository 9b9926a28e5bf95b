import { Injectable } from '@nestjs/common';
import { MemoryType } from '../memory-type.enum';
import { Skill, SkillManifest, SkillResult } from '../skill';

interface MemoryWriteInput {
  memory_type: MemoryType;
  text: string;
  meta?: Record<string, unknown>;
}

/** Stores a memory for the agent; the planner uses it to remember every goal it is given. */
@Injectable()
export class MemoryWriteSkill implements Skill<MemoryWriteInput, { stored: true; chars: number }> {
  readonly manifest: SkillManifest = {
    skill_id: 'memory_write',
    version: '1.0.0',
    description: "Store a text in the agent's memory (recallable by full-text search).",
    capabilities: ['memory_write'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['memory_type', 'text'],
      properties: {
        memory_type: { type: 'string', enum: Object.values(MemoryType) },
        text: { type: 'string', minLength: 1, maxLength: 100_000 },
        meta: { type: 'object' },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['stored', 'chars'],
      properties: { stored: { const: true }, chars: { type: 'integer', minimum: 1 } },
    },
    // Stored with the step's result, keyed by (run, step): a retry cannot store it twice.
    side_effects: 'idempotent',
    reversible: true,
    external_effects: false,
    outside_content: false,
    egress: false,
  };

  execute(input: MemoryWriteInput): Promise<SkillResult<{ stored: true; chars: number }>> {
    return Promise.resolve({
      output: { stored: true, chars: input.text.length },
      memory: { memory_type: input.memory_type, text: input.text, meta: input.meta, written: true },
    });
  }
}
