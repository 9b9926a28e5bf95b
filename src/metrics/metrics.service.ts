import { crossTenant } from '../common/db-scope';
import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
} from 'prom-client';

/**
 * The instance's Prometheus registry. Each module declares its own series here (runs their queue
 * and worker series, skills their outcomes); this module only owns the registry, the HTTP
 * request durations and the process defaults (CPU, memory, event loop lag, GC, handles).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool: "non-counter metrics should not have _total"); their
    // values are the sums of nodejs_active_handles, _requests and _resources, which stay.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
    this.httpRequestDuration = this.histogram({
      name: 'aos_http_request_duration_seconds',
      help: 'HTTP request durations by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** One observation per answered request; unrouted requests share one label so paths cannot explode it. */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpRequestDuration.observe({ method, route: route ?? '(unmatched)', status_code: statusCode }, seconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  /** The gauges read the whole instance, every tenant's rows. */
  render(): Promise<string> {
    return crossTenant('metrics', () => this.registry.metrics());
  }
}
