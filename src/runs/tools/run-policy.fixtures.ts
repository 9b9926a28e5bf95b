import { AgentApproval } from '../../agents/agent-approval.enum';
import type { CallEffects, RunPolicy } from './run-policy';

/** A policy for a test: the defaults of a new agent, with what the test changes. */
export const policy = (over: Partial<RunPolicy> = {}): RunPolicy => ({
  approval: AgentApproval.SideEffects,
  skills: null,
  egress: null,
  egressTrusted: [],
  rememberToolResults: true,
  ...over,
});

/** What a GET of `origin` does, as the gate reads it. */
export const get = (origin = 'https://example.com'): CallEffects => ({
  sideEffects: 'none',
  external: true,
  egress: true,
  origins: [origin],
});
