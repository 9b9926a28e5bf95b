import { Inject, Injectable } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { NotFoundError } from '../common/domain-error';
import { SideEffects, Skill, SkillManifest, SKILLS } from './skill';

export class SkillNotFoundError extends NotFoundError {
  constructor(skillId: string) {
    super('SKILL.NOT_FOUND', `Skill ${skillId} not found`);
  }
}

interface RegisteredSkill {
  skill: Skill;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction;
}

/** The skills this instance can run, with their JSON Schemas compiled once. */
@Injectable()
export class SkillRegistry {
  private readonly skills = new Map<string, RegisteredSkill>();

  constructor(@Inject(SKILLS) skills: Skill[]) {
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
    addFormats(ajv);
    for (const skill of skills) {
      const id = skill.manifest.skill_id;
      if (this.skills.has(id)) throw new Error(`Skill ${id} is registered twice`);
      this.skills.set(id, {
        skill,
        validateInput: ajv.compile(skill.manifest.input_schema),
        validateOutput: ajv.compile(skill.manifest.output_schema),
      });
    }
  }

  manifests(): SkillManifest[] {
    return [...this.skills.values()].map((s) => s.skill.manifest).sort((a, b) => a.skill_id.localeCompare(b.skill_id));
  }

  has(skillId: string): boolean {
    return this.skills.has(skillId);
  }

  get(skillId: string): Skill {
    const found = this.skills.get(skillId);
    if (!found) throw new SkillNotFoundError(skillId);
    return found.skill;
  }

  /**
   * What a call does outside: its side effects (per input when the skill says), whether they leave
   * AOS, whether it can carry data out and which origins it reaches. An unknown skill is assumed
   * to do the worst.
   */
  effectsOf(
    skillId: string,
    input: unknown,
  ): { sideEffects: SideEffects; external: boolean; egress: boolean; origins: string[] } {
    const found = this.skills.get(skillId);
    if (!found) return { sideEffects: 'non_idempotent', external: true, egress: true, origins: [] };
    const { skill } = found;
    return {
      sideEffects: skill.sideEffectsOf?.(input) ?? skill.manifest.side_effects,
      external: skill.manifest.external_effects,
      egress: skill.manifest.egress,
      origins: skill.originsOf?.(input) ?? [],
    };
  }

  /** Whether the skill's results are content from outside AOS (they taint the run), its errors included. */
  readsOutside(skillId: string): boolean {
    return this.skills.get(skillId)?.skill.manifest.outside_content ?? true;
  }

  /** Whether this output of the skill is content from outside AOS (it taints the run that reads it). */
  outputIsOutside(skillId: string, output: unknown): boolean {
    const found = this.skills.get(skillId);
    if (!found) return true;
    return found.skill.manifest.outside_content || (found.skill.untrustedOutput?.(output) ?? false);
  }

  /** Where a call's result comes from, as the model is told. */
  sourceOf(skillId: string, input: unknown): string {
    return this.skills.get(skillId)?.skill.sourceOf?.(input) ?? skillId;
  }

  /** Problems with an input (defaults applied in place), or undefined when it is valid. */
  inputProblems(skillId: string, input: unknown): string | undefined {
    const found = this.skills.get(skillId);
    if (!found) return `unknown skill ${skillId}`;
    if (!found.validateInput(input)) return describe(found.validateInput);
    return found.skill.inputProblem?.(input);
  }

  /**
   * The input as the skill runs it: a copy with the schema's defaults applied (valid or not). A
   * model may leave out what has a default; the tool call records it filled in, so a replay
   * compares both sides in this form.
   */
  normalisedInput(skillId: string, input: unknown): unknown {
    const found = this.skills.get(skillId);
    if (!found || input === null || typeof input !== 'object') return input;
    const copy = structuredClone(input);
    found.validateInput(copy);
    return copy;
  }

  outputProblems(skillId: string, output: unknown): string | undefined {
    const found = this.skills.get(skillId);
    if (!found) return `unknown skill ${skillId}`;
    return found.validateOutput(output) ? undefined : describe(found.validateOutput);
  }
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}
