import { ConfigError, loadConfig, weakApiKeyReason } from './app-config';

const STRONG_KEY = 'k8Jd2mQ9xLr4Tz7Wv1Ns6Yc3Pb5Hg0Fa';

describe('loadConfig', () => {
  it('applies the seed defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      host: '0.0.0.0',
      port: 8000,
      databaseUrl: undefined,
      apiKey: undefined,
      corsOrigins: true,
      bodyLimitBytes: 1048576,
      migrationsRun: true,
      logLevel: 'info',
    });
  });

  it('parses every variable it knows', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/aos',
      AOS_API_KEY: 'key',
      HOST: '127.0.0.1',
      PORT: '9000',
      LOG_LEVEL: 'debug',
      AOS_CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
      AOS_BODY_LIMIT: '4096',
      AOS_DATA_DIR: '/var/lib/aos',
      AOS_MIGRATIONS_RUN: 'false',
      AOS_DB_POOL_SIZE: '5',
      AOS_TRUST_PROXY: '2',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgresql://u:p@db:5432/aos',
      apiKey: 'key',
      host: '127.0.0.1',
      port: 9000,
      logLevel: 'debug',
      corsOrigins: ['https://a.example.com', 'https://b.example.com'],
      bodyLimitBytes: 4096,
      dataDir: '/var/lib/aos',
      migrationsRun: false,
      dbPoolSize: 5,
      trustProxy: 2,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid environment: PORT must .*\(got "eighty"\)$/],
    [{ PORT: '70000' }, /PORT must not be greater than 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of the following values/],
    [{ AOS_MIGRATIONS_RUN: 'maybe' }, /AOS_MIGRATIONS_RUN must be true or false/],
    [{ AOS_CORS_ORIGINS: 'not a url' }, /AOS_CORS_ORIGINS has an invalid origin/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be one of the following values/],
    [{ AOS_TRUST_PROXY: 'yes please' }, /AOS_TRUST_PROXY must be true, false or a number of proxy hops/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never repeats a refused URL, which may carry a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://aos:hunter2-secret@db/x' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2-secret') }),
    );
  });

  describe('in production', () => {
    it('requires an API key', () => {
      expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('AOS_API_KEY is required in production');
    });

    it('refuses a weak API key', () => {
      expect(() => loadConfig({ NODE_ENV: 'production', AOS_API_KEY: 'changeme' })).toThrow(
        /AOS_API_KEY is a well-known default/,
      );
      expect(() => loadConfig({ NODE_ENV: 'production', AOS_API_KEY: 'short-key' })).toThrow(
        /AOS_API_KEY is shorter than 32 characters/,
      );
    });

    const production = { NODE_ENV: 'production', AOS_API_KEY: STRONG_KEY, AOS_METRICS_TOKEN: 'scrape-token' };

    it('refuses CORS "*"', () => {
      expect(() => loadConfig({ ...production, AOS_CORS_ORIGINS: '*' })).toThrow(
        /AOS_CORS_ORIGINS must list explicit origins in production/,
      );
    });

    it('starts with a strong key and CORS off by default', () => {
      const config = loadConfig(production);
      expect(config.isProduction).toBe(true);
      expect(config.corsOrigins).toBe(false);
    });

    it('needs a metrics token, unless /metrics is declared public', () => {
      const { AOS_METRICS_TOKEN: _token, ...withoutToken } = production;
      expect(() => loadConfig(withoutToken)).toThrow(/AOS_METRICS_TOKEN is required in production/);
      expect(loadConfig({ ...withoutToken, AOS_METRICS_PUBLIC: 'true' }).metricsToken).toBeUndefined();
    });

    it('bounds slow clients by default, and refuses a headers timeout longer than the request timeout', () => {
      expect(loadConfig(production).server).toEqual({
        requestTimeoutMs: 30_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: 60_000,
        maxConnections: 4_096,
      });
      expect(() =>
        loadConfig({ ...production, AOS_REQUEST_TIMEOUT_MS: '1000', AOS_HEADERS_TIMEOUT_MS: '2000' }),
      ).toThrow(/AOS_HEADERS_TIMEOUT_MS \(2000\) must not be longer than AOS_REQUEST_TIMEOUT_MS \(1000\)/);
    });
  });
});

describe('weakApiKeyReason', () => {
  it('accepts a long random key', () => {
    expect(weakApiKeyReason(STRONG_KEY)).toBeUndefined();
  });

  it('refuses a long key made of few characters', () => {
    expect(weakApiKeyReason('ab'.repeat(20))).toMatch(/fewer than 10 distinct/);
  });
});
