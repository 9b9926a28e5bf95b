export { AosClient, createAosClient, DEFAULT_URL, API_KEY_HEADER, TENANT_HEADER } from './client.js';
export type { AosClientOptions, Paging, WaitOptions } from './client.js';
export type { TokenOptions } from './tokens.js';
export { AosApiError, AosConnectionError, AosTimeoutError } from './errors.js';
export type { FieldError } from './errors.js';
export type { EventStreamOptions } from './event-stream.js';
export {
  FINISHED_STATUSES,
  isFinished,
  isSettled,
  isTerminalEvent,
  RUN_TERMINAL_EVENTS,
  SETTLED_STATUSES,
} from './run-status.js';
export type * from './types.js';
