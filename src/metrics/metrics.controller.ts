import { Controller, Get, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { hash, timingSafeEqual } from 'node:crypto';
import { ErrorResponseDto } from '../common/error-response.dto';
import { Public } from '../common/public.decorator';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from './metrics.service';

const digest = (value: string) => hash('sha256', value, 'buffer');

/** The OpenAPI security scheme of GET /metrics: a bearer token of its own. */
export const METRICS_SECURITY_SCHEME = 'metrics_token';

@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tokenDigest = config.metricsToken === undefined ? undefined : digest(config.metricsToken);
  }

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Needs `Authorization: Bearer <AOS_METRICS_TOKEN>` (its own scheme, metrics_token: a scraper should not ' +
      'hold the key that drives agents). Without AOS_METRICS_TOKEN it is public, which production allows only ' +
      'with AOS_METRICS_PUBLIC=true.',
  })
  @ApiBearerAuth(METRICS_SECURITY_SCHEME)
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } }, description: 'Prometheus text format' })
  @ApiResponse({
    status: 401,
    description: 'AOS_METRICS_TOKEN is set and the bearer token is missing or wrong',
    type: ErrorResponseDto,
    example: { detail: 'Metrics need Authorization: Bearer <AOS_METRICS_TOKEN>' },
  })
  async getMetrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (this.tokenDigest) {
      const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      if (!presented || !timingSafeEqual(digest(presented), this.tokenDigest)) {
        throw new UnauthorizedException('Metrics need Authorization: Bearer <AOS_METRICS_TOKEN>');
      }
    }
    void reply.header('content-type', this.metrics.contentType()).header('cache-control', 'no-store');
    return this.metrics.render();
  }
}
