/** What produced a memory (seed §2). Stored as the PostgreSQL enum `memory_type`. */
export enum MemoryType {
  SkillResult = 'skill_result',
  UserInput = 'user_input',
  System = 'system',
  Context = 'context',
}
