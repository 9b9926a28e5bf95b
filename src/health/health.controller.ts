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
import { Public } from '../common/public.decorator';
import type { EmbeddedPostgresServer } from '../database/embedded-postgres.server';
import { NatsRelay } from '../events/nats-relay';
import { EMBEDDED_POSTGRES } from './embedded-postgres.token';
import { HealthErrorResponseDto, HealthIndicatorDto, HealthResponseDto } from './health.dto';

const DATABASE_PING_TIMEOUT_MS = 1_500;

@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
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
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Overall health: database, API key configuration, embedded database' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthErrorResponseDto })
  getHealth(): Promise<HealthResponseDto> {
    return this.run([...this.dependencyChecks(), () => this.apiKeyCheck()]);
  }

  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency is checked)' })
  @ApiOkResponse({ type: HealthResponseDto })
  getLiveness(): Promise<HealthResponseDto> {
    return this.run([() => this.indicators.check('process').up({ uptime_s: Math.round(process.uptime()) })]);
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Readiness: the dependencies needed to serve requests are up' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthErrorResponseDto })
  getReadiness(): Promise<HealthResponseDto> {
    return this.run(this.dependencyChecks());
  }

  private dependencyChecks(): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [
      () => this.typeOrm.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
    ];
    if (this.relay.enabled) {
      // NATS is where events are copied to, not what serving needs: degraded, never down.
      checks.push(() => {
        const state = this.relay.state;
        const healthy = state === 'up' || state === 'standby';
        return Promise.resolve({
          nats: {
            status: healthy ? ('up' as const) : ('degraded' as const),
            relay: state,
            ...(this.relay.lastError ? { message: this.relay.lastError } : {}),
          },
        });
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

  /** Terminus answers 503 by throwing; keep its report and add the contract's `detail`. */
  private async run(checks: HealthIndicatorFunction[]): Promise<HealthResponseDto> {
    try {
      return (await this.health.check(checks)) as HealthResponseDto;
    } catch (error) {
      if (error instanceof ServiceUnavailableException) {
        const report = error.getResponse() as HealthResponseDto;
        const failing = Object.keys(report.error ?? {}).join(', ') || report.status;
        throw new ServiceUnavailableException({ detail: `Unhealthy: ${failing}`, ...report });
      }
      throw error;
    }
  }
}
