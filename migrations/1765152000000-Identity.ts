import { MigrationInterface, QueryRunner } from 'typeorm';
import { isolateTenantTable } from './tenant-isolation';
import { REQUEST_ROLE } from './1765065600000-Tenancy';

const NEW_TENANT_TABLES = ['refresh_tokens', 'model_usage'];

/**
 * Tokens and limits: the keys AOS signs tokens with (sealed, the operator's), refresh tokens
 * (a tenant's, in families), model usage per tenant and UTC day (what the daily token limit and
 * the usage report read; each day's counter in shards, so a tenant's concurrent runs do not queue
 * on one row), and a tenant's limits.
 */
export class Identity1765152000000 implements MigrationInterface {
  name = 'Identity1765152000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "signing_keys" (
        "kid" character varying(64) NOT NULL,
        "alg" character varying(16) NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "private_ciphertext" text NOT NULL,
        "private_key_id" character varying(16) NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "retired_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid"))`,
    );
    await q.query(
      `CREATE TABLE "refresh_tokens" (
        "tenant_id" uuid NOT NULL DEFAULT aos_current_tenant(),
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "family_id" uuid NOT NULL,
        "key_id" uuid NOT NULL,
        "digest" bytea NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP(3) WITH TIME ZONE,
        "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("tenant_id", "id"),
        CONSTRAINT "refresh_tokens_key_id_fkey" FOREIGN KEY ("tenant_id", "key_id")
          REFERENCES "api_keys" ("tenant_id", "id") ON DELETE CASCADE)`,
    );
    // The token endpoint finds a refresh token by its id before it knows the tenant.
    await q.query(`CREATE INDEX "refresh_tokens_id_idx" ON "refresh_tokens" ("id")`);
    await q.query(`CREATE INDEX "refresh_tokens_family_idx" ON "refresh_tokens" ("tenant_id", "family_id")`);
    await q.query(`CREATE INDEX "refresh_tokens_key_idx" ON "refresh_tokens" ("tenant_id", "key_id")`);
    await q.query(
      `CREATE TABLE "model_usage" (
        "tenant_id" uuid NOT NULL DEFAULT aos_current_tenant(),
        "day" date NOT NULL,
        "provider" character varying(20) NOT NULL,
        "model" character varying(200) NOT NULL,
        "shard" smallint NOT NULL DEFAULT 0,
        "calls" integer NOT NULL DEFAULT 0,
        "input_tokens" bigint NOT NULL DEFAULT 0,
        "output_tokens" bigint NOT NULL DEFAULT 0,
        CONSTRAINT "model_usage_pkey" PRIMARY KEY ("tenant_id", "day", "provider", "model", "shard"),
        CONSTRAINT "model_usage_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE)`,
    );
    await q.query(`ALTER TABLE "tenants" ADD "limits" jsonb NOT NULL DEFAULT '{}'`);
    // The usage report counts a tenant's runs per day.
    await q.query(`CREATE INDEX "runs_tenant_created_at_idx" ON "runs" ("tenant_id", "created_at")`);

    for (const table of NEW_TENANT_TABLES) await isolateTenantTable(q, table, REQUEST_ROLE);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of NEW_TENANT_TABLES) await q.query(`REVOKE ALL ON "${table}" FROM ${REQUEST_ROLE}`);
    await q.query(`DROP INDEX "runs_tenant_created_at_idx"`);
    await q.query(`ALTER TABLE "tenants" DROP COLUMN "limits"`);
    await q.query(`DROP TABLE "model_usage"`);
    await q.query(`DROP TABLE "refresh_tokens"`);
    await q.query(`DROP TABLE "signing_keys"`);
  }
}
