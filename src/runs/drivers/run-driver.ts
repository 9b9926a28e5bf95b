import type { AgentPlanner } from '../../agents/agent-planner.enum';
import type { RunSettings } from '../../run-record/run-settings';
import type { AgentPolicyRow, ClaimedRun, Lease } from '../../run-record/run-states.repository';
import type { Taint } from '../../run-record/taint';

/** A run a worker holds, as its driver and sources see it. */
export interface ActiveRun {
  readonly id: string;
  readonly agentId: string;
  readonly goal: string;
  /** Who holds it: every write of its steps is fenced by this. */
  readonly lease: Lease;
  /** The agent's settings, frozen into the run by its first claim. */
  readonly settings: RunSettings;
  /** The claim's row: attempts, usage so far, model waits, replay, context, plan. */
  readonly claimed: ClaimedRun;
  /** Aborted when the run is cancelled, its lease is lost, or the instance shuts down. */
  readonly signal: AbortSignal;
  /** When outside content first entered its context (null: clean); set as the run goes. */
  taint: Taint | null;
  /** The agent's policy as the latest write of the run read it (the claim, then each fenced write). */
  agentPolicy: AgentPolicyRow;
}

/**
 * Executes a claimed run until it leaves the worker: finished, back in the queue, or waiting for a
 * person. One driver per planner, chosen from the run's settings snapshot.
 */
export interface RunDriver {
  readonly planner: AgentPlanner;
  drive(run: ActiveRun): Promise<void>;
}

/** The drivers, one per planner (injection token). */
export const RUN_DRIVERS = Symbol('RUN_DRIVERS');

export function activeRun(claimed: ClaimedRun, owner: string, signal: AbortSignal): ActiveRun {
  return {
    id: claimed.id,
    agentId: claimed.agent_id,
    goal: claimed.goal,
    lease: { runId: claimed.id, agentId: claimed.agent_id, owner, epoch: claimed.lease_epoch },
    settings: claimed.settings,
    claimed,
    signal,
    taint: claimed.taint,
    agentPolicy: claimed.policy,
  };
}
