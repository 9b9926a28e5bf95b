import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';

export interface ModelUsageRow {
  day: string;
  provider: string;
  model: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
}

/**
 * The model_usage table (its only writer) and its reads: a tenant's tokens today (the daily
 * limit), its usage per day (the report). Each statement runs in the caller's tenant.
 */
/** Rows per counter: enough that a tenant's concurrent runs rarely share one, few enough to sum at once. */
export const USAGE_SHARDS = 16;

/** The shard a run's calls are counted in: its id's first byte. */
export function usageShard(runId: string): number {
  return parseInt(runId.slice(0, 2), 16) % USAGE_SHARDS;
}

@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * In the transaction recording an answered model call: its tokens added to today's row of the
   * run's shard. One row per counter would be locked by each call until its transaction commits,
   * and a tenant's concurrent runs would queue on it (measured: 8–9 of 20 connections waiting).
   */
  async add(
    m: EntityManager,
    runId: string,
    call: { provider: string; model: string; inputTokens: number; outputTokens: number },
  ): Promise<void> {
    await m.query(
      `INSERT INTO model_usage (day, provider, model, shard, calls, input_tokens, output_tokens)
       VALUES ((now() AT TIME ZONE 'UTC')::date, $1, $2, $5, 1, $3, $4)
       ON CONFLICT (tenant_id, day, provider, model, shard) DO UPDATE
         SET calls = model_usage.calls + 1,
             input_tokens = model_usage.input_tokens + EXCLUDED.input_tokens,
             output_tokens = model_usage.output_tokens + EXCLUDED.output_tokens`,
      [call.provider, call.model, call.inputTokens, call.outputTokens, usageShard(runId)],
    );
  }

  /** The tenant's model tokens of the current UTC day: one index range of a few rows. */
  async tokensToday(tenantId: string): Promise<number> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ used: string | null }>(
      `SELECT sum(input_tokens + output_tokens) AS used FROM model_usage
        WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [tenantId],
    );
    return Number(rows[0].used ?? 0);
  }

  async modelUsage(tenantId: string, from: string, to: string): Promise<ModelUsageRow[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<ModelUsageRow>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, provider, model, sum(calls)::int AS calls,
              sum(input_tokens)::float8 AS input_tokens, sum(output_tokens)::float8 AS output_tokens
         FROM model_usage WHERE tenant_id = $1 AND day BETWEEN $2::date AND $3::date
        GROUP BY day, provider, model ORDER BY day, provider, model`,
      [tenantId, from, to],
    );
    return rows;
  }
}
