import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AosServer, createAosServer } from '../src/bootstrap';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

describe('health and version', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_GIT_COMMIT: 'abcdef1234567' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports the database and the API key up, tersely: each status and nothing more', async () => {
    const res = await t.request({ method: 'GET', url: '/health', auth: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      info: { database: { status: 'up' }, api_key: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' }, api_key: { status: 'up' } },
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('says more at /health/details, behind the key: where the key came from, the process', async () => {
    expect((await t.request({ method: 'GET', url: '/health/details', auth: false })).statusCode).toBe(401);
    const res = await t.request({ method: 'GET', url: '/health/details' });
    expect(res.statusCode).toBe(200);
    expect(res.json().details).toMatchObject({
      database: { status: 'up' },
      api_key: { status: 'up', source: 'environment' },
      process: { status: 'up', uptime_s: expect.any(Number), pid: process.pid },
    });
  });

  it('answers liveness without touching dependencies, readiness with them', async () => {
    const live = await t.request({ method: 'GET', url: '/health/live', auth: false });
    expect(live.json().details).toEqual({ process: { status: 'up' } });
    const ready = await t.request({ method: 'GET', url: '/health/ready', auth: false });
    expect(Object.keys(ready.json().details)).toEqual(['database']);
  });

  it('reports the version, API version and commit', async () => {
    const res = await t.request({ method: 'GET', url: '/version', auth: false });
    expect(res.json()).toEqual({
      name: 'aos',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      api_version: '1',
      commit: 'abcdef1234567',
    });
  });
});

describe('health on the embedded database', () => {
  let server: AosServer;
  beforeAll(async () => {
    server = await createAosServer({
      env: {
        NODE_ENV: 'test',
        AOS_API_KEY: TEST_API_KEY,
        AOS_DATA_DIR: mkdtempSync(join(tmpdir(), 'aos-health-')),
        LOG_LEVEL: 'silent',
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is up with the embedded process, then 503 naming the failures once the database stops', async () => {
    const up = await server.app.inject({ method: 'GET', url: '/health' });
    expect(up.statusCode).toBe(200);
    expect(up.json().details).toMatchObject({ database: { status: 'up' }, embedded_postgres: { status: 'up' } });

    await server.embedded!.stop();

    for (const url of ['/health', '/health/ready']) {
      const down = await server.app.inject({ method: 'GET', url });
      expect(down.statusCode).toBe(503);
      const body = down.json();
      expect(body.detail).toBe('Unhealthy: database, embedded_postgres');
      expect(body.status).toBe('error');
      expect(body.error).toMatchObject({ database: { status: 'down' }, embedded_postgres: { status: 'down' } });
    }
    const live = await server.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);

    // The same server comes back on the same data directory.
    await server.embedded!.start();
    let again = await server.app.inject({ method: 'GET', url: '/health' });
    for (let i = 0; i < 20 && again.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await server.app.inject({ method: 'GET', url: '/health' });
    }
    expect(again.statusCode).toBe(200);
  });
});
