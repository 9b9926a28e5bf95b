import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { SseStream } from './sse-stream';

/** The event log's series beside the relay's own: open streams. */
@Injectable()
export class EventMetrics {
  constructor(metrics: MetricsService) {
    metrics.gauge({
      name: 'aos_event_streams_open',
      help: 'Server-Sent Events streams this instance serves now',
      collect() {
        this.set(SseStream.open);
      },
    });
  }
}
