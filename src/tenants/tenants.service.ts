import { Injectable, Logger } from '@nestjs/common';
import { ActorKind } from '../common/actor';
import type { Page, PageQueryDto } from '../common/pagination';
import type { Principal } from '../common/principal';
import { pgError } from '../database/pg-error';
import { crossTenant, inTenant } from '../common/db-scope';
import { Transactions } from '../database/transactions';
import { AgentsService } from '../agents/agents.service';
import { CredentialResolver, DEFAULT_TENANT_SLUG } from './auth/credential-resolver';
import { CreateTenantDto, TenantDto, UpdateTenantDto } from './dto/tenant.dto';
import { TenantStatus } from './tenant-status.enum';
import type { TenantEntity } from './tenant.entity';
import { DefaultTenantError, TenantHasAgentsError, TenantNotFoundError, TenantSlugTakenError } from './tenants.errors';
import { TenantsRepository } from './tenants.repository';
import { InvalidInputError } from '../common/domain-error';
import { LimitsService } from '../limits/limits.service';
import { isRealDay, mergeLimits, TOKEN_LIMIT_REASON, utcDay } from '../limits/tenant-limits';
import { UsageRepository } from '../limits/usage.repository';
import { RunStatesRepository } from '../run-record/run-states.repository';
import { RunsRepository } from '../run-record/runs.repository';
import type { TenantUsageQueryDto, TenantUsageDto } from './dto/usage.dto';
import { usageDays } from './usage-days';

/** The longest span one usage report covers: a year. */
const MAX_USAGE_DAYS = 365;

/** Tenant management (the operator's) and the tenant a principal may name. */
@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);

  constructor(
    private readonly tenants: TenantsRepository,
    private readonly transactions: Transactions,
    private readonly agents: AgentsService,
    private readonly credentials: CredentialResolver,
    private readonly limits: LimitsService,
    private readonly usageRows: UsageRepository,
    private readonly runStates: RunStatesRepository,
    private readonly runRows: RunsRepository,
  ) {}

  create(dto: CreateTenantDto): Promise<TenantDto> {
    return crossTenant('tenant-admin', async () => {
      try {
        const tenant = await this.transactions.run((m) => this.tenants.insert(m, dto));
        this.logger.log({ tenant_id: tenant.id, slug: tenant.slug }, 'tenant created');
        return TenantDto.from(tenant);
      } catch (error) {
        const { code, constraint } = pgError(error);
        if (code === '23505' && constraint === 'tenants_slug_key') throw new TenantSlugTakenError(dto.slug);
        throw error;
      }
    });
  }

  list(query: PageQueryDto): Promise<Page<TenantDto>> {
    return crossTenant('tenant-admin', async () => {
      const page = await this.tenants.page(query);
      return { items: page.rows.map((t) => TenantDto.from(t)), next_cursor: page.nextCursor };
    });
  }

  async get(ref: string): Promise<TenantDto> {
    return TenantDto.from(await this.find(ref));
  }

  /** The tenant `ref` names, as `principal` may see it: the operator any, a key its own only (else 404). */
  async visibleTo(principal: Principal, ref: string): Promise<TenantEntity> {
    const tenant = await crossTenant('tenant-admin', () => this.tenants.find(ref));
    if (!tenant || (principal.actor.kind !== ActorKind.Operator && tenant.id !== principal.tenantId)) {
      throw new TenantNotFoundError(ref);
    }
    return tenant;
  }

  update(ref: string, dto: UpdateTenantDto): Promise<TenantDto> {
    return crossTenant('tenant-admin', () =>
      this.transactions.run(async (m) => {
        const tenant = await this.tenants.find(ref, m, true);
        if (!tenant) throw new TenantNotFoundError(ref);
        if (tenant.slug === DEFAULT_TENANT_SLUG && dto.status === TenantStatus.Suspended) {
          throw new DefaultTenantError('suspended');
        }
        const limits = dto.limits ? mergeLimits(tenant.limits ?? {}, dto.limits) : undefined;
        return this.tenants.update(m, tenant.id, { name: dto.name, status: dto.status, limits });
      }),
    ).then(async (updated) => {
      this.credentials.forget({ tenant: updated });
      this.limits.forget(updated.id);
      if (dto.limits && (dto.limits.model_tokens_per_day !== undefined || dto.limits.on_token_limit !== undefined)) {
        // After the commit: runs waiting for tomorrow's tokens try again now (the new limit may
        // let them go on); a wait being written meanwhile sees the new limit itself.
        await inTenant(updated.id, () => this.runStates.wakeTokenLimited(updated.id, TOKEN_LIMIT_REASON));
      }
      return TenantDto.from(updated);
    });
  }

  /** Model calls and tokens per day by provider and model, and runs per day by status. */
  async usage(tenant: TenantEntity, query: TenantUsageQueryDto): Promise<TenantUsageDto> {
    for (const field of ['from', 'to'] as const) {
      const day = query[field];
      if (day !== undefined && !isRealDay(day))
        throw new InvalidInputError(field, `${field} ${day} is not a day of the calendar`);
    }
    const to = query.to ?? utcDay(new Date());
    const from = query.from ?? utcDay(new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000));
    const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
    if (span < 0) throw new InvalidInputError('from', 'from must not be after to');
    if (span > MAX_USAGE_DAYS) throw new InvalidInputError('from', `at most ${MAX_USAGE_DAYS + 1} days at once`);
    const [models, runs] = await inTenant(tenant.id, () =>
      Promise.all([this.usageRows.modelUsage(tenant.id, from, to), this.runRows.countsByDay(tenant.id, from, to)]),
    );
    return { tenant_id: tenant.id, from, to, days: usageDays(models, runs) };
  }

  /**
   * Deletes a tenant. With agents left it refuses unless `cascade`: then each agent goes through
   * the agents' own deletion (its runs cancelled, its data deleted, `agent.deleted` sent), inside
   * the tenant; its events stay until the relay and the webhooks have passed them.
   */
  async remove(ref: string, cascade: boolean, principal: Principal): Promise<void> {
    const tenant = await this.find(ref);
    if (tenant.slug === DEFAULT_TENANT_SLUG) throw new DefaultTenantError('deleted');
    const actor = { ...principal.actor, tenant_id: tenant.id };
    const agentIds = await inTenant(tenant.id, () => this.agents.ids(), actor);
    if (agentIds.length > 0 && !cascade) throw new TenantHasAgentsError(agentIds.length);
    // Its keys stop working first (here at once, within seconds everywhere): nothing new arrives
    // while it goes.
    const suspended = await crossTenant('tenant-admin', () =>
      this.transactions.run((m) => this.tenants.update(m, tenant.id, { status: TenantStatus.Suspended })),
    );
    this.credentials.forget({ tenant: suspended });
    for (const id of agentIds) await inTenant(tenant.id, () => this.agents.remove(id), actor);
    // An agent created meanwhile would be left without its tenant: refused instead.
    const left = await inTenant(tenant.id, () => this.agents.ids(), actor);
    if (left.length > 0) throw new TenantHasAgentsError(left.length);
    // Its keys go with it (their foreign key cascades).
    await crossTenant('tenant-admin', () => this.transactions.run((m) => this.tenants.delete(m, tenant.id)));
    this.credentials.forget({ tenant });
    this.logger.log({ tenant_id: tenant.id, agents: agentIds.length }, 'tenant deleted');
  }

  /** The tenant `ref` names (the operator's view), or 404. */
  entity(ref: string): Promise<TenantEntity> {
    return this.find(ref);
  }

  private async find(ref: string): Promise<TenantEntity> {
    const tenant = await crossTenant('tenant-admin', () => this.tenants.find(ref));
    if (!tenant) throw new TenantNotFoundError(ref);
    return tenant;
  }
}
