import { Injectable } from '@nestjs/common';
import { MemoryType } from '../skills/memory-type.enum';
import { Plan, Planner, PlanningContext, PlanStep } from './planner';

export const MAX_URL_STEPS = 5;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`{}|\\^]+/gi;
// Punctuation that ends a sentence rather than a URL: "see https://x.org/a." → https://x.org/a
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/**
 * Deterministic planner: remember the goal (a user_input memory), then GET each distinct
 * http(s) URL in it, at most five, in order of appearance.
 */
@Injectable()
export class RuleBasedPlanner implements Planner {
  readonly name = 'rule-based@1';

  plan(goal: string, context: PlanningContext): Promise<Plan> {
    const available = new Set(context.skills.map((s) => s.skill_id));
    const steps: PlanStep[] = [];
    if (available.has('memory_write')) {
      steps.push({ skill: 'memory_write', input: { memory_type: MemoryType.UserInput, text: goal } });
    }
    if (available.has('http_call')) {
      for (const url of extractUrls(goal).slice(0, MAX_URL_STEPS)) {
        steps.push({ skill: 'http_call', input: { method: 'GET', url } });
      }
    }
    return Promise.resolve({ planner: this.name, steps });
  }
}

export function extractUrls(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(URL_PATTERN)) {
    const candidate = match[0].replace(TRAILING_PUNCTUATION, '');
    try {
      const url = new URL(candidate).toString();
      seen.add(url);
    } catch {
      // not a URL after all
    }
  }
  return [...seen];
}
