import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { Transactions } from '../database/transactions';
import { EventsService, NewEvent } from '../events/events.service';
import type { RunStatus } from './run-status.enum';
import { AgentPolicyRow, Lease, RunStatesRepository } from './run-states.repository';

/** A worker wrote for a run it no longer holds: reclaimed by another, or cancelled. Nothing was written. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(readonly runId: string) {
    super(`run ${runId} is no longer held by this worker`);
  }
}

/** What a write's work gets: the transaction, and a place for the events it causes. */
export interface RunWrite {
  readonly m: EntityManager;
  /** Appended once, after the work, in the same transaction: they exist if and only if it commits. */
  emit(...events: NewEvent[]): void;
}

/** A step write of a held run also gets its agent's policy as the fence read it. */
export interface StepWrite extends RunWrite {
  readonly policy: AgentPolicyRow;
}

/** A change of a run nobody holds gets the run's status as its lock found it (undefined: no such run of the agent). */
export interface LockedRunWrite extends RunWrite {
  readonly status: RunStatus | undefined;
}

/**
 * The one way to write a run's record. Each write is one transaction that takes its locks in the
 * one order every writer uses, so two writers never deadlock:
 *
 *   1. the agent's row (FOR KEY SHARE; a delete or stop of the agent holds it FOR UPDATE),
 *   2. the run's row (FOR SHARE when fenced by a lease, FOR UPDATE for an answer or an expiry),
 *   3. the run's calls and memories, then the events, appended once at the end.
 *
 * A step write (`step`) is fenced: it happens only while this worker's lease (owner and fencing
 * token) still holds the run, else it throws LeaseLostError and writes nothing — so a worker that
 * lost its run can neither record nor start a step of it.
 */
@Injectable()
export class RunWriter {
  constructor(
    private readonly transactions: Transactions,
    private readonly agents: AgentsService,
    private readonly states: RunStatesRepository,
    private readonly events: EventsService,
  ) {}

  /** A write of a step of a run this lease holds. */
  step<T>(lease: Lease, work: (w: StepWrite) => Promise<T>): Promise<T> {
    return this.write(lease.agentId, async (m, emit) => {
      const policy = await this.states.fence(m, lease);
      if (!policy) throw new LeaseLostError(lease.runId);
      return work({ m, policy, emit });
    });
  }

  /** A change of a run no worker holds for it (a person's answer, an expiry): its row locked for update. */
  locked<T>(ref: { agentId: string; runId: string }, work: (w: LockedRunWrite) => Promise<T>): Promise<T> {
    return this.write(ref.agentId, async (m, emit) => work({ m, emit, status: await this.states.lock(m, ref) }));
  }

  /**
   * A write whose own statements guard the run's row (a transition conditional on the lease, a
   * claim, an acceptance): the agent's row first when there is one agent, then the work.
   */
  guarded<T>(agentId: string | null, work: (w: RunWrite) => Promise<T>): Promise<T> {
    return this.write(agentId, (m, emit) => work({ m, emit }));
  }

  /** The same lock order inside a transaction someone else opened (an agent's delete or stop holds the agent). */
  async within<T>(m: EntityManager, work: (w: RunWrite) => Promise<T>): Promise<T> {
    const events: NewEvent[] = [];
    const result = await work({ m, emit: (...e) => events.push(...e) });
    await this.events.append(m, events);
    return result;
  }

  private write<T>(agentId: string | null, work: (m: EntityManager, emit: RunWrite['emit']) => Promise<T>): Promise<T> {
    return this.transactions.run(async (m) => {
      if (agentId) await this.agents.holdForRunWrite(m, agentId);
      const events: NewEvent[] = [];
      const result = await work(m, (...e) => events.push(...e));
      await this.events.append(m, events);
      return result;
    });
  }
}
