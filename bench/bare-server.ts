/**
 * The benchmark's reference: the same POST /agents and GET /agents/{id} as AOS (same table, same
 * constant-time key check, same JSON shape) on bare Fastify + pg, with no framework around it.
 */
import Fastify from 'fastify';
import { hash, timingSafeEqual } from 'node:crypto';
import { Pool } from 'pg';
import { AgentRow, agentJson, AGENT_COLUMNS, AGENT_INSERT, agentInsertParams } from './agent-row';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const expected = hash('sha256', process.env.AOS_API_KEY ?? '', 'buffer');
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.addHook('onRequest', async (request, reply) => {
    const key = request.headers['x-aos-key'];
    if (typeof key !== 'string' || !timingSafeEqual(hash('sha256', key, 'buffer'), expected)) {
      return reply.code(401).send({ detail: 'Invalid API key' });
    }
  });

  app.post('/agents', async (request, reply) => {
    const body = request.body as { name?: unknown } | null;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (name.length < 1 || name.length > 200) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(AGENT_INSERT, agentInsertParams(name, 1));
    return reply.code(201).header('location', `/agents/${rows[0].id}`).send(agentJson(rows[0]));
  });

  app.get('/agents/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!UUID.test(id)) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`, [id]);
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
