/**
 * The benchmark's second reference: the same two routes on NestJS 12 + Fastify with only what the
 * framework itself puts on the path (a global guard doing the bare reference's key look-up,
 * reference-auth.ts, without row-level security; the same strict
 * ValidationPipe and DTO as AOS, ParseUUIDPipe) and the same SQL on a pg pool. No request id, no
 * security headers, no access log, no services. AOS / this server is the cost of AOS's own
 * per-request features; this server / bare is the cost of the framework.
 */
import 'reflect-metadata';
import {
  Body,
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { CreateAgentDto } from '../src/agents/dto/create-agent.dto';
import { createValidationPipe } from '../src/common/validation';
import { AgentRow, agentJson, AGENT_COLUMNS, AGENT_INSERT, agentInsertParams } from './agent-row';
import { ReferenceActor, ReferenceCredentials } from './reference-auth';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const credentials = new ReferenceCredentials(pool, process.env.AOS_API_KEY ?? '');

interface KeyedRequest {
  method: string;
  headers: Record<string, unknown>;
  actor?: ReferenceActor;
}

@Injectable()
class KeyGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const actor = await credentials.check(request.headers['x-aos-key'], request.method === 'GET' ? 'read' : 'write');
    if (!actor) throw new UnauthorizedException('Invalid API key');
    request.actor = actor;
    return true;
  }
}

@Controller('agents')
class AgentsController {
  @Post()
  async create(@Body() dto: CreateAgentDto, @Req() request: KeyedRequest) {
    const { rows } = await pool.query<AgentRow>(
      AGENT_INSERT,
      agentInsertParams(dto.name, dto.max_concurrent_runs ?? 1, request.actor!),
    );
    return agentJson(rows[0]);
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @Req() request: KeyedRequest) {
    const { rows } = await pool.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM agents WHERE tenant_id = $2 AND id = $1`,
      [id, request.actor!.tenant_id],
    );
    if (rows.length === 0) throw new NotFoundException('Agent not found');
    return agentJson(rows[0]);
  }
}

@Module({ controllers: [AgentsController], providers: [{ provide: APP_GUARD, useClass: KeyGuard }] })
class NestFloorModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(NestFloorModule, new FastifyAdapter(), {
    logger: false,
    bodyParser: false,
  });
  app.useGlobalPipes(createValidationPipe());
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write(`nest-floor listening on ${await app.getUrl()} \n`);
  const shutdown = () => void app.close().then(() => pool.end().then(() => process.exit(0)));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main();
