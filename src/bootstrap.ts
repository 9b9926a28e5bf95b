import rateLimit from '@fastify/rate-limit';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import pino from 'pino';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { handleClientError, handleFrameworkError } from './common/client-errors';
import { trackRoutes } from './common/allowed-methods';
import { registerCredentialCheck } from './common/credential-check';
import { registerJsonBodyParser } from './common/json-body';
import { registerFormBodyParser } from './common/form-body';
import { TOKEN_PATH } from './tenants/tokens/tokens.controller';
import { registerRequestLogging } from './common/logging';
import { API_SECURITY_HEADERS, DOCS_SECURITY_HEADERS } from './common/security-headers';
import { REQUEST_ID_HEADER, requestIdFor } from './common/request-id';
import { createValidationPipe } from './common/validation';
import { resolveApiKey } from './config/api-key';
import { resolveSecretKey } from './config/secret-key';
import { AppConfig, loadConfig } from './config/app-config';
import { EmbeddedPostgresServer } from './database/embedded/server';
import { MetricsService } from './metrics/metrics.service';
import { buildOpenApiDocument } from './openapi/openapi';
import { packageInfo } from './config/package-info';
import { CredentialResolver } from './tenants/auth/credential-resolver';
import { principalOf } from './common/principal';

export interface AosServerOptions {
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Where the generated development key is announced; defaults to stderr. */
  print?: (line: string) => void;
  /** Told of the embedded PostgreSQL as soon as it exists, before it starts (main.ts stops it on a signal). */
  onEmbedded?: (server: EmbeddedPostgresServer) => void;
}

export interface AosServer {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly embedded: EmbeddedPostgresServer | null;
  /** Starts accepting connections on HOST:PORT; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops the app (HTTP, pools), then the embedded database if we started it. */
  close(): Promise<void>;
}

/**
 * Builds the whole service: config, database (embedded when DATABASE_URL is unset), Nest app on
 * Fastify with every cross-cutting concern. `main.ts` and the end-to-end tests both call this,
 * so the tests exercise exactly what runs in production.
 */
export async function createAosServer(options: AosServerOptions = {}): Promise<AosServer> {
  const parsed = loadConfig(options.env ?? process.env);
  const withKey = { ...parsed, ...(await resolveApiKey(parsed, options.print)) };
  const config: AppConfig = {
    ...withKey,
    secrets: { ...withKey.secrets, key: await resolveSecretKey(withKey) },
  };

  let embedded: EmbeddedPostgresServer | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    // Nest's logger does not exist yet: the database comes first. Same JSON lines, same level.
    const log = pino({ level: config.logLevel }).child({ context: 'EmbeddedPostgres' });
    embedded = new EmbeddedPostgresServer({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      runtimeDir: config.embeddedPostgresRuntimeDir,
      log: (m, level = 'debug') => log[level](m),
    });
    options.onEmbedded?.(embedded);
    databaseUrl = await embedded.start();
  }

  let created: NestFastifyApplication | undefined;
  try {
    const { server } = config;
    const adapter = new FastifyAdapter({
      bodyLimit: config.bodyLimitBytes,
      // Slow clients are bounded (a body trickled byte by byte, headers that never end, an idle
      // keep-alive); Node checks the request deadlines this often.
      requestTimeout: server.requestTimeoutMs,
      connectionTimeout: server.idleTimeoutMs,
      keepAliveTimeout: server.keepAliveTimeoutMs,
      http: {
        headersTimeout: server.headersTimeoutMs,
        connectionsCheckingInterval: Math.min(1_000, Math.floor(server.headersTimeoutMs / 2)),
      },
      genReqId: requestIdFor,
      requestIdHeader: false,
      // Off by default: otherwise any client could choose the address logged for it.
      trustProxy:
        typeof config.trustProxy === 'number'
          ? (_address: string, hop: number) => hop < (config.trustProxy as number)
          : config.trustProxy,
      routerOptions: { maxParamLength: 200 },
      // Errors raised before routing answer in the contract's {"detail"} shape too.
      clientErrorHandler: handleClientError,
      frameworkErrors: handleFrameworkError,
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl, embedded }),
      adapter,
      // bodyParser: false keeps Fastify's own JSON parser; Nest's replacement reads the body as a
      // buffer and parses it in a second step.
      { bufferLogs: true, abortOnError: false, bodyParser: false },
    );
    created = app;
    app.getHttpAdapter().getInstance().server.maxConnections = server.maxConnections;
    await configureApp(app, config);
    await app.init();
    return {
      app,
      config,
      embedded,
      async listen() {
        await app.listen({ host: config.host, port: config.port });
        return app.getUrl();
      },
      async close() {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    // A start refused half-way (a check in a bootstrap hook) must not leave timers and
    // connections of the modules that did start.
    await created?.close().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
}

async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  if (config.isProduction && config.metricsToken === undefined) {
    logger.warn(
      'GET /metrics is public (AOS_METRICS_PUBLIC=true); set AOS_METRICS_TOKEN to require a bearer token',
      'Metrics',
    );
  }
  const fastify = app.getHttpAdapter().getInstance();
  trackRoutes(fastify);
  registerRequestLogging(fastify);
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    void reply.headers(request.url.startsWith('/docs') ? DOCS_SECURITY_HEADERS : API_SECURITY_HEADERS);
    done();
  });
  // JSON is the only body this API speaks: anything else is 415, not a string that fails validation.
  fastify.removeContentTypeParser(['text/plain']);
  registerJsonBodyParser(fastify);
  registerFormBodyParser(fastify, [TOKEN_PATH]);

  // Before any route exists: the plugin adds its hook to each route as it is registered. Per
  // credential once one is proven (the credential hook runs first), else per client address
  // (X-Forwarded-For only with AOS_TRUST_PROXY); a tenant's requests_per_minute replaces the
  // service's limit for its credentials. Probes and scrapes are never limited.
  const serviceLimit = config.rateLimitPerMinute;
  await app.register(rateLimit, {
    max: (request) => principalOf(request)?.requestsPerMinute ?? serviceLimit,
    timeWindow: 60_000,
    keyGenerator: (request) => principalOf(request)?.credentialId ?? request.ip,
    allowList: (request) => {
      const path = request.url.split('?')[0];
      if (path.startsWith('/health') || path === '/version' || path === '/metrics') return true;
      return serviceLimit === 0 && principalOf(request)?.requestsPerMinute === undefined;
    },
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(
          `Too many requests: at most ${context.max} per minute from one credential or address; retry in ${context.after}`,
        ),
        { statusCode: context.statusCode },
      ),
  });
  // After the rate limiter: its hook counts a request before this one refuses it.
  const credentials = app.get(CredentialResolver);
  registerCredentialCheck(fastify, (headers) => credentials.resolve(headers));

  if (config.corsOrigins !== false) {
    app.enableCors({
      origin: config.corsOrigins,
      exposedHeaders: [
        'X-Request-ID',
        'Location',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-AOS-Key', 'X-AOS-Tenant', 'X-Request-ID', 'Idempotency-Key'],
      methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    });
  }
  app.useGlobalPipes(createValidationPipe());

  const document = buildOpenApiDocument(app, packageInfo().version);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'AOS API',
    swaggerOptions: { persistAuthorization: true },
  });
}
