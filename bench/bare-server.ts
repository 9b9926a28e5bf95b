/**
 * The benchmark's reference: the same POST /agents and GET /agents/{id} as AOS (same table, same
 * JSON shape) on bare Fastify + pg, with no framework around it. It looks the key up as AOS does
 * (reference-auth.ts: the operator key's digest compared, or a tenant key's cached row found by
 * prefix and its secret's digest compared) and names the credential's tenant in its SQL; it runs
 * as the table owner, so without row-level security.
 */
import Fastify, { FastifyRequest } from 'fastify';
import { Pool } from 'pg';
import { AgentRow, agentJson, AGENT_COLUMNS, AGENT_INSERT, agentInsertParams } from './agent-row';
import { ReferenceActor, ReferenceCredentials } from './reference-auth';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const credentials = new ReferenceCredentials(pool, process.env.AOS_API_KEY ?? '');
  const actors = new WeakMap<FastifyRequest, ReferenceActor>();
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.addHook('onRequest', async (request, reply) => {
    const actor = await credentials.check(request.headers['x-aos-key'], request.method === 'GET' ? 'read' : 'write');
    if (!actor) return reply.code(401).send({ detail: 'Invalid API key' });
    actors.set(request, actor);
  });

  app.post('/agents', async (request, reply) => {
    const body = request.body as { name?: unknown } | null;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (name.length < 1 || name.length > 200) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(AGENT_INSERT, agentInsertParams(name, 1, actors.get(request)!));
    return reply.code(201).header('location', `/agents/${rows[0].id}`).send(agentJson(rows[0]));
  });

  app.get('/agents/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!UUID.test(id)) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM agents WHERE tenant_id = $2 AND id = $1`,
      [id, actors.get(request)!.tenant_id],
    );
    if (rows.length === 0) return reply.code(404).send({ detail: 'Agent not found' });
    return agentJson(rows[0]);
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write(`bare listening on ${address} \n`);
  const shutdown = () =>
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main();
