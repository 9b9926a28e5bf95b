import rateLimit from '@fastify/rate-limit';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { registerRequestLogging } from './common/logging';
import { REQUEST_ID_HEADER, requestIdFor } from './common/request-id';
import { createValidationPipe } from './common/validation';
import { resolveApiKey } from './config/api-key';
import { AppConfig, loadConfig } from './config/app-config';
import { EmbeddedPostgresServer } from './database/embedded-postgres.server';
import { buildOpenApiDocument } from './openapi/openapi';
import { packageInfo } from './config/package-info';

export interface AosServerOptions {
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Where the generated development key is announced; defaults to stderr. */
  print?: (line: string) => void;
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
  const config: AppConfig = { ...parsed, ...(await resolveApiKey(parsed, options.print)) };

  let embedded: EmbeddedPostgresServer | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    // Nest's logger does not exist yet: the database comes first. Same JSON lines, same level.
    const log = pino({ level: config.logLevel }).child({ context: 'EmbeddedPostgres' });
    embedded = new EmbeddedPostgresServer({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      log: (m) => log.debug(m),
    });
    databaseUrl = await embedded.start();
  }

  try {
    const adapter = new FastifyAdapter({
      bodyLimit: config.bodyLimitBytes,
      genReqId: requestIdFor,
      requestIdHeader: false,
      // Off by default: otherwise any client could choose the address logged for it.
      trustProxy:
        typeof config.trustProxy === 'number'
          ? (_address: string, hop: number) => hop < (config.trustProxy as number)
          : config.trustProxy,
      routerOptions: { maxParamLength: 200 },
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl, embedded }),
      adapter,
      // bodyParser: false keeps Fastify's own JSON parser; Nest's replacement reads the body as a
      // buffer and parses it in a second step.
      { bufferLogs: true, abortOnError: false, bodyParser: false },
    );
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
    await embedded?.stop();
    throw error;
  }
}

async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestLogging(fastify);

  // Security headers from helmet. Its policies are static, so each is rendered once into a plain
  // header map that a single hook copies onto every reply (running helmet's middleware per request
  // cost a measurable share of a small request). JSON responses get the short set OWASP recommends
  // for APIs; only the HTML of /docs needs the longer browser policy that lets Swagger UI run.
  const apiSecurityHeaders = renderHeaders(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xFrameOptions: { action: 'deny' },
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  const docsSecurityHeaders = renderHeaders(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'"],
          // Plain-HTTP deployments (behind a TLS proxy or on localhost) must still load the assets.
          upgradeInsecureRequests: null,
        },
      },
    }),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    void reply.headers(request.url.startsWith('/docs') ? docsSecurityHeaders : apiSecurityHeaders);
    done();
  });
  // JSON is the only body this API speaks: anything else is 415, not a string that fails validation.
  fastify.removeContentTypeParser(['text/plain']);

  if (config.rateLimitPerMinute > 0) {
    // Before any route exists: the plugin adds its hook to each route as it is registered.
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // Per client address (X-Forwarded-For only with AOS_TRUST_PROXY); probes are never limited.
      allowList: (request) => request.url.startsWith('/health') || request.url === '/version',
      errorResponseBuilder: (_request, context) =>
        Object.assign(
          new Error(`Too many requests: at most ${context.max} per minute from one client; retry in ${context.after}`),
          { statusCode: context.statusCode },
        ),
    });
  }

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
      allowedHeaders: ['Content-Type', 'X-AOS-Key', 'X-Request-ID', 'Idempotency-Key'],
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

/** The headers a (static) helmet policy sets, captured once from a stand-in response. */
function renderHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}
