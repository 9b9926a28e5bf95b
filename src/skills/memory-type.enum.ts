/** What produced a memory. Stored as the PostgreSQL enum `memory_type`. */
export enum MemoryType {
  SkillResult = 'skill_result',
  UserInput = 'user_input',
  System = 'system',
  Context = 'context',
  /** A model-driven run's final answer. */
  RunResult = 'run_result',
}
