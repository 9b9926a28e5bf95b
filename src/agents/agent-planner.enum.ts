/** How an agent's goals are planned. Stored as the PostgreSQL enum `agent_planner`. */
export enum AgentPlanner {
  /** Deterministic: remember the goal, GET each URL in it. */
  RuleBased = 'rule-based',
  /** The model-driven agent loop (Anthropic, then OpenAI). */
  Llm = 'llm',
}
