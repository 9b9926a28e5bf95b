import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AgentStatus } from './agent-status.enum';
import type { AgentEntity } from './agent.entity';

export interface AgentStatusChanged {
  agent: AgentEntity;
  previous: AgentStatus;
  /** The transaction that changes the status: listeners' writes commit or roll back with it. */
  manager: EntityManager;
}

export interface AgentDeleting {
  agent: AgentEntity;
  /** The transaction that deletes the agent (its row is locked): listeners lock or end what is theirs first. */
  manager: EntityManager;
}

type Listener<E> = (event: E) => Promise<void>;

/**
 * Domain events of the agent lifecycle. Other modules (runs) subscribe here instead of `agents`
 * depending on them; listeners run inside the transaction that made the change, so an agent is
 * never `stopped` while its pending runs are not yet cancelled.
 */
@Injectable()
export class AgentEvents {
  private readonly statusChangedListeners: Listener<AgentStatusChanged>[] = [];
  private readonly deletingListeners: Listener<AgentDeleting>[] = [];

  onStatusChanged(listener: Listener<AgentStatusChanged>): void {
    this.statusChangedListeners.push(listener);
  }

  async statusChanged(event: AgentStatusChanged): Promise<void> {
    for (const listener of this.statusChangedListeners) await listener(event);
  }

  /** Before the agent's row (and by cascade everything of it) is deleted, in the same transaction. */
  onDeleting(listener: Listener<AgentDeleting>): void {
    this.deletingListeners.push(listener);
  }

  async deleting(event: AgentDeleting): Promise<void> {
    for (const listener of this.deletingListeners) await listener(event);
  }
}
