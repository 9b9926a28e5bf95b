import { RequiresScope, Scope } from '../common/scopes';
import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { Public } from '../common/public.decorator';
import type { EmbeddedPostgresServer } from '../database/embedded/server';
import { NatsRelay } from '../events/nats-relay';
import { EMBEDDED_POSTGRES } from '../database/embedded-postgres.token';
import { HealthErrorResponseDto, HealthIndicatorDto, HealthResponseDto } from './health.dto';

const DATABASE_PING_TIMEOUT_MS = 1_500;

@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgresServer | null,
    private readonly relay: NatsRelay,
  ) {}

  @Get()
  @Public()
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Overall health: database, API key configuration, embedded database',
    description: 'Public and terse: each indicator’s status only. GET /health/details (with a key) says more.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthErrorResponseDto })
  async getHealth(): Promise<HealthResponseDto> {
    return terse(await this.run([...this.dependencyChecks(), () => this.apiKeyCheck()], terse));
  }

  @Get('live')
  @Public()
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Liveness: the process answers (no dependency is checked)',
    description: 'Public and terse; for orchestrators.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  async getLiveness(): Promise<HealthResponseDto> {
    return terse(await this.run([() => this.indicators.check('process').up()], terse));
  }

  @Get('ready')
  @Public()
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Readiness: the dependencies needed to serve requests are up',
    description: 'Public and terse: each indicator’s status only; for orchestrators.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthErrorResponseDto })
  async getReadiness(): Promise<HealthResponseDto> {
    return terse(await this.run(this.dependencyChecks(), terse));
  }

  @Get('details')
  @RequiresScope(Scope.Operator)
  @ApiKeyAuth()
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Health with its details: database, NATS and the relay’s lag, the API key’s source, the process',
    description:
      'The same checks as GET /health, each with what it knows (error messages, the NATS relay’s state and how ' +
      'many events it has yet to publish, where the API key came from, uptime). Needs a credential: these details ' +
      'help an attacker as much as an operator.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthErrorResponseDto })
  getDetails(): Promise<HealthResponseDto> {
    return this.run([
      ...this.dependencyChecks(),
      () => this.apiKeyCheck(),
      () => this.indicators.check('process').up({ uptime_s: Math.round(process.uptime()), pid: process.pid }),
    ]);
  }

  private dependencyChecks(): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [
      () => this.typeOrm.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
    ];
    if (this.relay.enabled) {
      // NATS is where events are copied to, not what serving needs: degraded, never down.
      checks.push(async () => {
        const state = this.relay.state;
        const healthy = state === 'up' || state === 'standby';
        return {
          nats: {
            status: healthy ? ('up' as const) : ('degraded' as const),
            relay: state,
            lag_events: await this.relay.lag().catch(() => null),
            ...(this.relay.lastError ? { message: this.relay.lastError } : {}),
          },
        };
      });
    }
    const embedded = this.embedded;
    if (embedded) {
      checks.push(() => {
        const check = this.indicators.check('embedded_postgres');
        return embedded.running ? check.up() : check.down({ message: 'embedded PostgreSQL is not running' });
      });
    }
    return checks;
  }

  private apiKeyCheck() {
    const check = this.indicators.check('api_key');
    return this.config.apiKey ? check.up({ source: this.config.apiKeySource }) : check.down({ message: 'no API key' });
  }

  /**
   * Terminus answers 503 by throwing; keep its report (through `shown`, which the public probes
   * use to say no more than each status) and add the contract's `detail`.
   */
  private async run(
    checks: HealthIndicatorFunction[],
    shown: (report: HealthResponseDto) => HealthResponseDto = (report) => report,
  ): Promise<HealthResponseDto> {
    try {
      return (await this.health.check(checks)) as HealthResponseDto;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const report = error.getResponse() as HealthResponseDto;
        const failing = Object.keys(report.error ?? {}).join(', ') || report.status;
        throw new ServiceUnavailableException({ detail: `Unhealthy: ${failing}`, ...shown(report) });
      }
      throw error;
    }
  }
}

/** A report with each indicator's status alone: what a public probe may tell anyone. */
export function terse(report: HealthResponseDto): HealthResponseDto {
  const statuses = (group: Record<string, HealthIndicatorDto> | undefined) =>
    group && Object.fromEntries(Object.entries(group).map(([name, i]) => [name, { status: i.status }]));
  return {
    status: report.status,
    ...(report.info ? { info: statuses(report.info) } : {}),
    ...(report.error ? { error: statuses(report.error) } : {}),
    details: statuses(report.details) ?? {},
  };
}
