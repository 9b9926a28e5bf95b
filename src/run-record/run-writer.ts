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

/** Work deferred to a run's next write, and whether it references the agent. */
interface Deferred {
  work: (w: RunWrite) => Promise<void>;
  agentRow: boolean;
}

/** Whether a write touches rows that reference the agent (memories, the agent's usage): it locks the agent first. */
export interface WriteOptions {
  agentRow?: boolean;
}

/**
 * The one way to write a run's record. Each write is one transaction that takes its locks in the
 * one order every writer uses, so two writers never deadlock:
 *
 *   1. the agent's row (FOR KEY SHARE), when the write touches a row that references it (a memory,
 *      the agent's usage): a delete or stop of the agent holds it FOR UPDATE and then changes the
 *      agent's runs, so a write holding a run's row must never wait for the agent's after it,
 *   2. the run's row (FOR SHARE when fenced by a lease, FOR UPDATE for an answer or an expiry),
 *   3. the run's calls and memories, then the events, appended once at the end.
 *
 * A step write (`step`) is fenced: it happens only while this worker's lease (owner and fencing
 * token) still holds the run, else it throws LeaseLostError and writes nothing — so a worker that
 * lost its run can neither record nor start a step of it. Work that need not commit alone (the
 * plan, recorded before any step) can be deferred to the run's next write.
 */
@Injectable()
export class RunWriter {
  private readonly deferred = new WeakMap<Lease, Deferred[]>();

  constructor(
    private readonly transactions: Transactions,
    private readonly agents: AgentsService,
    private readonly states: RunStatesRepository,
    private readonly events: EventsService,
  ) {}

  /** A write of a step of a run this lease holds. */
  step<T>(lease: Lease, work: (w: StepWrite) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.fenced(lease, 'always', options, async (w, policy) => {
      if (!policy) throw new LeaseLostError(lease.runId);
      return work({ ...w, policy });
    });
  }

  /**
   * A write of a run this lease holds whose own statement checks the lease (a transition: it
   * matches no row once the lease is lost), with the run's deferred work before it.
   */
  held<T>(lease: Lease, work: (w: RunWrite) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.fenced(lease, 'when-deferred', options, (w) => work(w));
  }

  /** Commits what is still deferred for the run, if anything (an execution that ends without a last write). */
  async settle(lease: Lease): Promise<void> {
    if (this.deferred.has(lease)) await this.step(lease, () => Promise.resolve());
  }

  /**
   * Work committed with the run's next write (fenced by the lease like a step) instead of a
   * transaction of its own. Until a write that carries it commits, it stays queued: a write that
   * rolls back leaves it for the next one.
   */
  defer(lease: Lease, work: (w: RunWrite) => Promise<void>, options: WriteOptions = {}): void {
    const entry = { work, agentRow: options.agentRow ?? false };
    const queued = this.deferred.get(lease);
    if (queued) queued.push(entry);
    else this.deferred.set(lease, [entry]);
  }

  /** A change of a run no worker holds for it (a person's answer, an expiry): its row locked for update. */
  locked<T>(ref: { agentId: string; runId: string }, work: (w: LockedRunWrite) => Promise<T>): Promise<T> {
    return this.write(ref.agentId, async (m, emit) => work({ m, emit, status: await this.states.lock(m, ref) }));
  }

  /**
   * A write whose own statements guard the rows (a claim, a release, a reclaim, an acceptance): the
   * agent's row first when there is one agent, then the work.
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

  /**
   * One transaction for a run this lease holds, carrying the work deferred so far: the agent's row
   * first when the write or any of that work references it, then the fence (always, or only to
   * guard deferred work: it is a step's and commits only while the lease holds), the deferred
   * work, then `work`. What it carried leaves the queue once it commits; a rollback leaves it.
   */
  private async fenced<T>(
    lease: Lease,
    fence: 'always' | 'when-deferred',
    options: WriteOptions,
    work: (w: RunWrite, policy: AgentPolicyRow | undefined) => Promise<T>,
  ): Promise<T> {
    const due = [...(this.deferred.get(lease) ?? [])];
    const agentRow = options.agentRow === true || due.some((d) => d.agentRow);
    const result = await this.write(agentRow ? lease.agentId : null, async (m, emit) => {
      const policy = fence === 'always' || due.length > 0 ? await this.states.fence(m, lease) : undefined;
      if (due.length > 0 && !policy) throw new LeaseLostError(lease.runId);
      for (const d of due) await d.work({ m, emit });
      return work({ m, emit }, policy);
    });
    if (due.length > 0) {
      const left = (this.deferred.get(lease) ?? []).filter((d) => !due.includes(d));
      if (left.length > 0) this.deferred.set(lease, left);
      else this.deferred.delete(lease);
    }
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
