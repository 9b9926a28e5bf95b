/**
 * The benchmark's reference: the same POST /agents and GET /agents/{id} as AOS (same table, same
 * constant-time key check, same JSON shape) on bare Fastify + pg, with no framework around it.
 */
import Fastify from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Pool } from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AgentRow {
  id: string;
  name: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const toJson = (r: AgentRow) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const expected = createHash('sha256')
    .update(process.env.AOS_API_KEY ?? '')
    .digest();
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.addHook('onRequest', async (request, reply) => {
    const key = request.headers['x-aos-key'];
    if (typeof key !== 'string' || !timingSafeEqual(createHash('sha256').update(key).digest(), expected)) {
      return reply.code(401).send({ detail: 'Invalid API key' });
    }
  });

  app.post('/agents', async (request, reply) => {
    const body = request.body as { name?: unknown } | null;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (name.length < 1 || name.length > 200) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(
      'INSERT INTO agents (name) VALUES ($1) RETURNING id, name, status, created_at, updated_at',
      [name],
    );
    return reply.code(201).header('location', `/agents/${rows[0].id}`).send(toJson(rows[0]));
  });

  app.get('/agents/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!UUID.test(id)) return reply.code(422).send({ detail: 'Validation failed' });
    const { rows } = await pool.query<AgentRow>(
      'SELECT id, name, status, created_at, updated_at FROM agents WHERE id = $1',
      [id],
    );
    if (rows.length === 0) return reply.code(404).send({ detail: 'Agent not found' });
    return toJson(rows[0]);
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
