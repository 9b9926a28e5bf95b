/** A call as a replay compares it: a tool call (skill and input), or a model call the record lacks. */
export type ReplayCall = { type: 'tool_call'; skill: string; input: unknown } | { type: 'model_call'; index: number };

/** Where a replay asked for another call than its original recorded (null: the record has none there). */
export interface Divergence {
  step: number;
  expected: ReplayCall | null;
  got: ReplayCall | null;
  reason: string;
}
