/** Values some variables take or default to, named once. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
export const ROLES = ['api', 'worker', 'all'] as const;

/** Current general-purpose models of each provider; agents and AOS_*_MODEL override them. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_OPENAI_MODEL = 'gpt-5.5';
/**
 * Runs in flight per instance. Runs spend nearly all their time waiting on networks and models, and
 * hold no database connection while they wait, so an instance keeps many in flight; each costs
 * about 150 KB while it waits (see README, Performance).
 */
export const DEFAULT_WORKER_CONCURRENCY = 100;
/** Connections per instance: enough for the worker's short bookkeeping statements and the API. */
export const DEFAULT_DB_POOL_SIZE = 20;
