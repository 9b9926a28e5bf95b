import { AgentPolicy, DEFAULT_POLICY, policyChanges } from './agent-policy';
import { ScopeRequiredError } from '../common/scopes';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/pagination';
import { InvalidInputError } from '../common/domain-error';
import { EventsService, NewEvent } from '../events/events.service';
import { ModelsService } from '../models/models.service';
import type { ModelChoice } from '../models/model.types';
import { SkillRegistry } from '../skills/skill-registry';
import { AgentEvents } from './agent-events';
import { AgentPlanner } from './agent-planner.enum';
import type { AgentModelsDto } from './dto/agent-settings.dto';
import { canTransition } from './agent-lifecycle';
import { AgentStatus } from './agent-status.enum';
import { AgentEntity } from './agent.entity';
import { AgentLimitError, AgentNotFoundError, AgentStatusTransitionError } from './agent.errors';
import { currentTenantId } from '../common/db-scope';
import { LimitsService } from '../limits/limits.service';
import { AgentPolicyRow, AgentsRepository } from './agents.repository';
import { AgentResponseDto } from './dto/agent-response.dto';
import type { CreateAgentDto } from './dto/create-agent.dto';
import type { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import type { UpdateAgentDto } from './dto/update-agent.dto';

const DEFAULT_MAX_STEPS = 20;

/** Entity field → wire name, for the fields an update can change. */
const WIRE_NAMES = {
  name: 'name',
  status: 'status',
  maxConcurrentRuns: 'max_concurrent_runs',
  planner: 'planner',
  instructions: 'instructions',
  models: 'models',
  skills: 'skills',
  maxSteps: 'max_steps',
  approval: 'approval',
  egress: 'egress',
  egressTrusted: 'egress_trusted',
  rememberToolResults: 'remember_tool_results',
} as const;

function statusEventType(status: AgentStatus): 'agent.paused' | 'agent.stopped' | 'agent.resumed' {
  return status === AgentStatus.Paused
    ? 'agent.paused'
    : status === AgentStatus.Stopped
      ? 'agent.stopped'
      : 'agent.resumed';
}

/** The models object as stored: only the providers given, null when none is. */
function modelChoice(models: AgentModelsDto | null | undefined): ModelChoice | null {
  if (!models) return null;
  const choice: ModelChoice = {};
  if (models.anthropic !== undefined) choice.anthropic = models.anthropic;
  if (models.openai !== undefined) choice.openai = models.openai;
  return Object.keys(choice).length > 0 ? choice : null;
}

/** Equal as JSON values, object keys in any order (jsonb hands them back sorted its own way). */
function sameValue(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)))
      : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

@Injectable()
export class AgentsService {
  private readonly logger = new Logger(AgentsService.name);

  constructor(
    private readonly agents: AgentsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lifecycle: AgentEvents,
    private readonly events: EventsService,
    private readonly skills: SkillRegistry,
    private readonly models: ModelsService,
    private readonly limits: LimitsService,
  ) {}

  /**
   * `mayChangePolicy`: whether the credential holds `admin`; without it the policy fields must
   * stay at the defaults (a new agent) or as they are (an update).
   */
  async create(dto: CreateAgentDto, mayChangePolicy = true): Promise<AgentResponseDto> {
    // Resolved once and stored: `llm` when a model provider is configured, else `rule-based`.
    const planner = dto.planner ?? (this.models.configured().length > 0 ? AgentPlanner.Llm : AgentPlanner.RuleBased);
    this.checkSettings({ planner, skills: dto.skills });
    const draft = {
      id: randomUUID(),
      name: dto.name,
      maxConcurrentRuns: dto.max_concurrent_runs ?? 1,
      planner,
      instructions: dto.instructions ?? null,
      models: modelChoice(dto.models),
      skills: dto.skills ?? null,
      maxSteps: dto.max_steps ?? DEFAULT_MAX_STEPS,
      approval: dto.approval ?? DEFAULT_POLICY.approval,
      egress: dto.egress ?? DEFAULT_POLICY.egress,
      egressTrusted: dto.egress_trusted ?? DEFAULT_POLICY.egressTrusted,
      rememberToolResults: dto.remember_tool_results ?? DEFAULT_POLICY.rememberToolResults,
    };
    if (!mayChangePolicy) refuseUnlessSame(DEFAULT_POLICY, draft);
    const created: NewEvent = {
      agentId: draft.id,
      type: 'agent.created',
      data: {
        name: draft.name,
        planner: draft.planner,
        max_concurrent_runs: draft.maxConcurrentRuns,
        max_steps: draft.maxSteps,
        skills: draft.skills,
        approval: draft.approval,
        egress: draft.egress,
        egress_trusted: draft.egressTrusted,
        remember_tool_results: draft.rememberToolResults,
      },
    };
    const tenantId = currentTenantId();
    const max = (await this.limits.of(tenantId)).agents;
    if (max === undefined || max === null) {
      // One statement writes the agent and its event: the hot path needs no transaction.
      const agent = await this.agents.insert(draft, (statement) => this.events.appendAlong(statement, [created]));
      return AgentResponseDto.from(agent);
    }
    // A limited tenant counts under its lock, so two creations at once cannot both take the last place.
    const agent = await this.dataSource.transaction(async (m) => {
      const count = await this.agents.lockAndCount(m, tenantId);
      if (count >= max) {
        // Refused on the limit as it is now, not as this instance cached it.
        this.limits.forget(tenantId);
        const fresh = (await this.limits.of(tenantId)).agents;
        if (fresh !== undefined && fresh !== null && count >= fresh) throw new AgentLimitError(fresh, count);
      }
      return this.agents.insert(draft, (statement) => this.events.appendAlong(statement, [created], m));
    });
    return AgentResponseDto.from(agent);
  }

  /** The rules across fields and configuration that DTO validation cannot see. */
  private checkSettings(settings: { planner?: AgentPlanner; skills?: string[] | null }): void {
    if (settings.planner === AgentPlanner.Llm && this.models.configured().length === 0) {
      throw new InvalidInputError(
        'planner',
        'planner llm needs a model provider: set ANTHROPIC_API_KEY and/or OPENAI_API_KEY (and restart), or use rule-based',
      );
    }
    const unknown = (settings.skills ?? []).filter((id) => !this.skills.has(id));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        'skills',
        `skills has unknown skill ids: ${unknown.join(', ')} (known: ${this.skills
          .manifests()
          .map((m) => m.skill_id)
          .join(', ')})`,
      );
    }
  }

  async list(query: ListAgentsQueryDto): Promise<Page<AgentResponseDto>> {
    const { rows, nextCursor } = await this.agents.page(query);
    return { items: rows.map((a) => AgentResponseDto.from(a)), next_cursor: nextCursor };
  }

  async get(id: string): Promise<AgentResponseDto> {
    const agent = await this.agents.findById(id);
    if (!agent) throw new AgentNotFoundError(id);
    return AgentResponseDto.from(agent);
  }

  /** The agent entity, for other modules' services; throws AgentNotFoundError. */
  /** `lock`: `update` to change the agent, `share` to keep it from changing (e.g. while accepting a goal). */
  async findOrFail(manager: EntityManager, id: string, lock?: 'update' | 'share'): Promise<AgentEntity> {
    const agent = await this.agents.findById(id, manager, lock);
    if (!agent) throw new AgentNotFoundError(id);
    return agent;
  }

  async update(id: string, dto: UpdateAgentDto, mayChangePolicy = true): Promise<AgentResponseDto> {
    return this.dataSource.transaction(async (manager) => {
      const agent = await this.findOrFail(manager, id, 'update');
      const previousStatus = agent.status;
      if (dto.status !== undefined && !canTransition(agent.status, dto.status)) {
        throw new AgentStatusTransitionError(agent.status, dto.status);
      }
      if (dto.planner !== undefined && dto.planner !== agent.planner) this.checkSettings({ planner: dto.planner });
      this.checkSettings({ skills: dto.skills });
      const next = {
        name: dto.name ?? agent.name,
        status: dto.status ?? agent.status,
        maxConcurrentRuns: dto.max_concurrent_runs ?? agent.maxConcurrentRuns,
        planner: dto.planner ?? agent.planner,
        instructions: dto.instructions === undefined ? agent.instructions : dto.instructions,
        models: dto.models === undefined ? agent.models : modelChoice(dto.models),
        skills: dto.skills === undefined ? agent.skills : dto.skills,
        maxSteps: dto.max_steps ?? agent.maxSteps,
        approval: dto.approval ?? agent.approval,
        egress: dto.egress === undefined ? agent.egress : dto.egress,
        egressTrusted: dto.egress_trusted ?? agent.egressTrusted,
        rememberToolResults: dto.remember_tool_results ?? agent.rememberToolResults,
      };
      if (!mayChangePolicy) refuseUnlessSame(agent, next);
      // Asking for what already is changes nothing, updated_at included.
      const changedKeys = (Object.keys(next) as (keyof typeof next)[]).filter(
        (key) => !sameValue(next[key], agent[key]),
      );
      if (changedKeys.length === 0) return AgentResponseDto.from(agent);
      Object.assign(agent, next);
      const updated = await this.agents.update(manager, agent);
      const wire = AgentResponseDto.from(updated) as unknown as Record<string, unknown>;
      const changes = Object.fromEntries(changedKeys.map((key) => [WIRE_NAMES[key], wire[WIRE_NAMES[key]]]));
      const events: NewEvent[] = [];
      if (dto.status !== undefined && dto.status !== previousStatus) {
        await this.lifecycle.statusChanged({ agent: updated, previous: previousStatus, manager });
        this.logger.log({ agent_id: id, from: previousStatus, to: updated.status }, 'agent status changed');
        events.push({
          agentId: id,
          type: statusEventType(updated.status),
          data: { from: previousStatus, to: updated.status },
        });
      }
      // A status change has its own event; the rest of the change is agent.updated.
      const { status: _status, ...rest } = changes;
      if (Object.keys(rest).length > 0) events.push({ agentId: id, type: 'agent.updated', data: { changes: rest } });
      await this.events.append(manager, events);
      return AgentResponseDto.from(updated);
    });
  }

  /** pause / resume / stop: the same rules as a PATCH of `status`. */
  async changeStatus(id: string, status: AgentStatus): Promise<AgentResponseDto> {
    return this.update(id, { status });
  }

  /**
   * Deletes the agent and, by cascade, everything of it. Its row is locked first and the other
   * modules end their work on it (runs cancels and locks its runs) before the cascade, so the
   * cascade takes locks in the same order as the run queue and cannot deadlock with a worker.
   */
  /**
   * Taken first by a transaction that writes a run's results (rows that cascade from the agent):
   * deleting the agent locks its row first too, so both take their locks in the same order.
   */
  holdForRunWrite(manager: EntityManager, id: string): Promise<void> {
    return this.agents.holdKey(manager, id);
  }

  /** The agent's policy fields as they are now, for a run's next tool call; undefined when it is gone. */
  policyOf(id: string): Promise<AgentPolicyRow | undefined> {
    return this.agents.policy(id);
  }

  /** Adds one model call's usage to the agent's totals, inside the caller's transaction. */
  addUsage(manager: EntityManager, id: string, usage: { inputTokens: number; outputTokens: number }): Promise<void> {
    return this.agents.addUsage(manager, id, usage);
  }

  /** Every agent id of the current tenant. */
  ids(): Promise<string[]> {
    return this.agents.ids();
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const agent = await this.findOrFail(manager, id, 'update');
      await this.lifecycle.deleting({ agent, manager });
      await this.agents.delete(manager, id);
      // The agent's last event (its runs' cancellations come before it); it outlives the agent.
      await this.events.append(manager, [{ agentId: id, type: 'agent.deleted', data: { name: agent.name } }]);
    });
    this.logger.log({ agent_id: id }, 'agent deleted');
  }
}

/** A credential without `admin` may not change an agent's policy fields. */
function refuseUnlessSame(from: AgentPolicy, to: AgentPolicy): void {
  const changed = policyChanges(from, to);
  if (changed.length > 0) {
    throw new ScopeRequiredError(
      `Changing ${changed.join(', ')} needs the "admin" scope (an agent's policy fields); a write key keeps the defaults`,
    );
  }
}
