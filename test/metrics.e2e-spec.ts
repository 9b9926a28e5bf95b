import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

/** The value of one sample line of a Prometheus text page, or undefined when absent. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestApp;
  let target: TargetServer;

  beforeAll(async () => {
    target = await new TargetServer().start();
    t = await startTestApp({ AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}` });
  });
  afterAll(async () => {
    await t.close();
    await target.stop();
  });

  const scrape = async () => {
    const res = await t.request({ method: 'GET', url: '/metrics', auth: false });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  it('is public and reports HTTP, queue, run, http_call and process series', async () => {
    target.text('/ok', 'fine');
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'metered' } })).json().id;
    const paused = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'waiting' } })).json().id;
    await t.request({ method: 'POST', url: `/agents/${paused}/pause` });
    await t.request({ method: 'POST', url: `/agents/${paused}/goals`, payload: { goal: 'wait' } });
    const run = (
      await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: `get ${target.url('/ok')}` } })
    ).json().run_id;
    await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${agent}/runs/${run}` })).json().status,
      (s) => s === 'completed',
    );
    await t.request({ method: 'GET', url: `/agents/${agent}` });

    const page = await scrape();
    expect(page).toMatch(
      /^aos_http_request_duration_seconds_count\{method="GET",route="\/agents\/:id",status_code="200"\} [1-9]/m,
    );
    expect(sample(page, 'aos_runs{status="pending"}')).toBe(1);
    expect(sample(page, 'aos_runs{status="running"}')).toBe(0);
    // The paused agent's run waits but is not ready to be claimed.
    expect(sample(page, 'aos_queue_depth')).toBe(0);
    expect(sample(page, 'aos_queue_oldest_pending_age_seconds')).toBe(0);
    expect(sample(page, 'aos_runs_finished_total{status="completed"}')).toBe(1);
    expect(sample(page, 'aos_run_pickup_seconds_count')).toBe(1);
    expect(sample(page, 'aos_worker_runs_in_flight')).toBe(0);
    expect(sample(page, 'aos_run_leases_reclaimed_total')).toBe(0);
    expect(sample(page, 'aos_http_call_total{outcome="success"}')).toBe(1);
    expect(sample(page, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(page, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts refused http_call outcomes', async () => {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'refused' } })).json().id;
    const run = (
      await t.request({
        method: 'POST',
        url: `/agents/${agent}/goals`,
        payload: { goal: 'get http://169.254.169.254/' },
      })
    ).json().run_id;
    await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${agent}/runs/${run}` })).json().status,
      (s) => s === 'partial',
    );
    expect(sample(await scrape(), 'aos_http_call_total{outcome="ssrf_blocked"}')).toBe(1);
  });
});

describe('GET /metrics on an instance that only accepts runs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_ROLE: 'api' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports ready runs as queue depth with the age of the oldest', async () => {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'queued' } })).json().id;
    for (const goal of ['one', 'two']) {
      await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal } });
    }
    await t.dataSource.query(`UPDATE runs SET created_at = now() - interval '90 seconds' WHERE goal = 'one'`);
    const page = (await t.request({ method: 'GET', url: '/metrics', auth: false })).body;
    expect(sample(page, 'aos_queue_depth')).toBe(2);
    expect(sample(page, 'aos_runs{status="pending"}')).toBe(2);
    expect(sample(page, 'aos_queue_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(89);
  });
});

describe('GET /metrics with AOS_METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_METRICS_TOKEN: 'scrape-token-123' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('needs the bearer token, not the API key', async () => {
    const withKey = await t.request({ method: 'GET', url: '/metrics' });
    expect(withKey.statusCode).toBe(401);
    expect(withKey.json()).toEqual({ detail: 'Metrics need Authorization: Bearer <AOS_METRICS_TOKEN>' });
    const wrong = await t.request({
      method: 'GET',
      url: '/metrics',
      auth: false,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await t.request({
      method: 'GET',
      url: '/metrics',
      auth: false,
      headers: { authorization: 'Bearer scrape-token-123' },
    });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('aos_http_request_duration_seconds');
  });
});
