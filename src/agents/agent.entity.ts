import type { Actor } from '../common/actor';
import { TenantIdColumn } from '../database/tenant-column';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ModelChoice } from '../models/model.types';
import { AgentApproval } from './agent-approval.enum';
import { AgentPlanner } from './agent-planner.enum';
import { AgentStatus } from './agent-status.enum';

@Entity('agents')
// Serves keyset pagination, newest first, with and without the status filter.
@Index('agents_created_at_id_idx', ['tenantId', 'createdAt', 'id'])
@Index('agents_status_created_at_id_idx', ['tenantId', 'status', 'createdAt', 'id'])
@Check('agents_max_concurrent_runs_check', '"max_concurrent_runs" BETWEEN 1 AND 100')
@Check('agents_max_steps_check', '"max_steps" BETWEEN 1 AND 100')
@Check('agents_instructions_check', 'char_length("instructions") <= 20000')
export class AgentEntity {
  @TenantIdColumn('agents_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'agents_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'enum', enum: AgentStatus, enumName: 'agent_status', default: AgentStatus.Active })
  status!: AgentStatus;

  // Millisecond precision keeps a JavaScript Date exact, which keyset cursors rely on.
  /** How many of this agent's runs may execute at once (in priority, then submission order). */
  @Column({ name: 'max_concurrent_runs', type: 'integer', default: 1 })
  maxConcurrentRuns!: number;

  @Column({ type: 'enum', enum: AgentPlanner, enumName: 'agent_planner', default: AgentPlanner.RuleBased })
  planner!: AgentPlanner;

  /** The system prompt of its model-driven runs. */
  @Column({ type: 'text', nullable: true })
  instructions!: string | null;

  /** Per-provider model names, e.g. {"anthropic": "claude-…"}; null: the configured defaults. */
  @Column({ type: 'jsonb', nullable: true })
  models!: ModelChoice | null;

  /** Allow-list of skill ids; null: every skill, including ones added later. */
  @Column({ type: 'text', array: true, nullable: true })
  skills!: string[] | null;

  /** Which tool calls wait for a person's approval. Agents older than approvals were set to `none`. */
  @Column({ type: 'enum', enum: AgentApproval, enumName: 'agent_approval', default: AgentApproval.SideEffects })
  approval!: AgentApproval;

  /** Origins http_call may reach (`https://host[:port]`); null: any public origin. */
  @Column({ type: 'text', array: true, nullable: true })
  egress!: string[] | null;

  /** Origins trusted with the run's data: calls there do not count as egress for the taint rule. */
  @Column({ name: 'egress_trusted', type: 'text', array: true, default: () => "'{}'" })
  egressTrusted!: string[];

  /** Whether what a tool call brought back (a page, a mail) is kept as a skill_result memory. */
  @Column({ name: 'remember_tool_results', type: 'boolean', default: true })
  rememberToolResults!: boolean;

  /** Model calls per run. */
  @Column({ name: 'max_steps', type: 'integer', default: 20 })
  maxSteps!: number;

  // Usage to date, added with each model call.
  @Column({ name: 'model_calls', type: 'bigint', default: 0 })
  modelCalls!: number;

  @Column({ name: 'input_tokens', type: 'bigint', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'bigint', default: 0 })
  outputTokens!: number;

  /** Who created it (the request's actor). */
  @Column({ name: 'created_by', type: 'jsonb', nullable: true })
  createdBy!: Actor | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
