import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connected skills and approvals: per-agent connections (settings and an encrypted secret), the
 * agents' approval policy, the `waiting_approval` run status and the approval states of a tool
 * call with who answered.
 */
export class Connections1764547200000 implements MigrationInterface {
  name = 'Connections1764547200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."connection_kind" AS ENUM('smtp', 'imap', 'caldav', 'http')`);
    await queryRunner.query(
      `CREATE TABLE "connections" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "agent_id" uuid NOT NULL,
        "name" character varying(100) NOT NULL,
        "kind" "public"."connection_kind" NOT NULL,
        "settings" jsonb NOT NULL,
        "secret_ciphertext" text,
        "secret_key_id" character varying(16),
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "connections_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "connections_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "connections_agent_name_key" ON "connections" ("agent_id", "name")`);
    await queryRunner.query(
      `CREATE INDEX "connections_agent_created_at_id_idx" ON "connections" ("agent_id", "created_at", "id")`,
    );

    // Agents that exist now keep running as they did; new agents ask before side effects.
    await queryRunner.query(`CREATE TYPE "public"."agent_approval" AS ENUM('none', 'side_effects', 'always')`);
    await queryRunner.query(`ALTER TABLE "agents" ADD "approval" "public"."agent_approval" NOT NULL DEFAULT 'none'`);
    await queryRunner.query(`ALTER TABLE "agents" ALTER COLUMN "approval" SET DEFAULT 'side_effects'`);

    // New enum values cannot be used in the transaction that adds them; nothing here does.
    await queryRunner.query(`ALTER TYPE "public"."run_status" ADD VALUE IF NOT EXISTS 'waiting_approval'`);
    for (const value of ['awaiting_approval', 'approved', 'rejected', 'expired']) {
      await queryRunner.query(`ALTER TYPE "public"."tool_call_status" ADD VALUE IF NOT EXISTS '${value}'`);
    }
    await queryRunner.query(
      `ALTER TABLE "tool_calls"
         ADD "approval_requested_at" TIMESTAMP(3) WITH TIME ZONE,
         ADD "approval_expires_at" TIMESTAMP(3) WITH TIME ZONE,
         ADD "approval_answered_at" TIMESTAMP(3) WITH TIME ZONE,
         ADD "approved_by" character varying(200),
         ADD "rejected_by" character varying(200),
         ADD "approval_reason" text`,
    );
    // The expiry sweep looks only at calls waiting for a person.
    await queryRunner.query(
      `CREATE INDEX "tool_calls_approval_expires_at_idx" ON "tool_calls" ("approval_expires_at") WHERE "approval_requested_at" IS NOT NULL AND "approval_answered_at" IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."tool_calls_approval_expires_at_idx"`);
    await queryRunner.query(
      `ALTER TABLE "tool_calls" DROP COLUMN "approval_reason", DROP COLUMN "rejected_by", DROP COLUMN "approved_by",
         DROP COLUMN "approval_answered_at", DROP COLUMN "approval_expires_at", DROP COLUMN "approval_requested_at"`,
    );
    // PostgreSQL cannot drop an enum value: the types are made again without them.
    await queryRunner.query(
      `UPDATE "tool_calls"
          SET "status" = (CASE WHEN "status"::text = 'approved' THEN 'running' ELSE 'failed' END)::"public"."tool_call_status"
        WHERE "status"::text IN ('awaiting_approval', 'approved', 'rejected', 'expired')`,
    );
    await queryRunner.query(`ALTER TYPE "public"."tool_call_status" RENAME TO "tool_call_status_old"`);
    await queryRunner.query(
      `CREATE TYPE "public"."tool_call_status" AS ENUM('running', 'succeeded', 'failed', 'cancelled')`,
    );
    await queryRunner.query(`ALTER TABLE "tool_calls" ALTER COLUMN "status" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "tool_calls" ALTER COLUMN "status" TYPE "public"."tool_call_status" USING "status"::text::"public"."tool_call_status"`,
    );
    await queryRunner.query(`ALTER TABLE "tool_calls" ALTER COLUMN "status" SET DEFAULT 'running'`);
    await queryRunner.query(`DROP TYPE "public"."tool_call_status_old"`);

    await queryRunner.query(`UPDATE "runs" SET "status" = 'pending' WHERE "status"::text = 'waiting_approval'`);
    await queryRunner.query(`UPDATE "provenance" SET "status" = 'pending' WHERE "status"::text = 'waiting_approval'`);
    await queryRunner.query(`DROP INDEX "public"."runs_pending_pickup_idx"`);
    await queryRunner.query(`DROP INDEX "public"."runs_running_lease_idx"`);
    await queryRunner.query(`DROP INDEX "public"."runs_agent_running_idx"`);
    await queryRunner.query(`ALTER TYPE "public"."run_status" RENAME TO "run_status_old"`);
    await queryRunner.query(
      `CREATE TYPE "public"."run_status" AS ENUM('pending', 'running', 'completed', 'failed', 'partial', 'cancelled')`,
    );
    for (const table of ['runs', 'provenance']) {
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "status" DROP DEFAULT`);
      await queryRunner.query(
        `ALTER TABLE "${table}" ALTER COLUMN "status" TYPE "public"."run_status" USING "status"::text::"public"."run_status"`,
      );
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "status" SET DEFAULT 'pending'`);
    }
    await queryRunner.query(`DROP TYPE "public"."run_status_old"`);
    await queryRunner.query(
      `CREATE INDEX "runs_pending_pickup_idx" ON "runs" ("priority" DESC, "created_at", "id") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "runs_running_lease_idx" ON "runs" ("lease_expires_at") WHERE "status" = 'running'`,
    );
    await queryRunner.query(`CREATE INDEX "runs_agent_running_idx" ON "runs" ("agent_id") WHERE "status" = 'running'`);

    await queryRunner.query(`ALTER TABLE "agents" DROP COLUMN "approval"`);
    await queryRunner.query(`DROP TYPE "public"."agent_approval"`);
    await queryRunner.query(`DROP TABLE "connections"`);
    await queryRunner.query(`DROP TYPE "public"."connection_kind"`);
  }
}
