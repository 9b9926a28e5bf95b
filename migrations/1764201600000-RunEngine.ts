import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runs (the durable queue itself), their tool calls, per-agent concurrency and memory ↔ run links.
 * A run shares its id with its provenance record, which is created first; tool calls and memories
 * point at the provenance record, so nothing outside the runs module depends on the runs table.
 */
export class RunEngine1764201600000 implements MigrationInterface {
  name = 'RunEngine1764201600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "agents" ADD "max_concurrent_runs" integer NOT NULL DEFAULT 1,
        ADD CONSTRAINT "agents_max_concurrent_runs_check" CHECK ("max_concurrent_runs" BETWEEN 1 AND 100)`,
    );
    await queryRunner.query(
      `CREATE TABLE "runs" (
        "id" uuid NOT NULL,
        "agent_id" uuid NOT NULL,
        "goal" text NOT NULL,
        "priority" smallint NOT NULL DEFAULT 5,
        "status" "public"."run_status" NOT NULL DEFAULT 'pending',
        "idempotency_key" character varying(200),
        "attempts" integer NOT NULL DEFAULT 0,
        "max_attempts" integer NOT NULL DEFAULT 3,
        "available_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "lease_owner" character varying(100),
        "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE,
        "error_message" text,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "started_at" TIMESTAMP(3) WITH TIME ZONE,
        "completed_at" TIMESTAMP(3) WITH TIME ZONE,
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "runs_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "runs_priority_check" CHECK ("priority" BETWEEN 0 AND 9),
        CONSTRAINT "runs_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE,
        CONSTRAINT "runs_id_fkey" FOREIGN KEY ("id") REFERENCES "provenance"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`CREATE INDEX "runs_agent_created_at_id_idx" ON "runs" ("agent_id", "created_at", "id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "runs_agent_idempotency_key_idx" ON "runs" ("agent_id", "idempotency_key")`,
    );
    // The queue: pending runs in pickup order, and running ones by lease for crash recovery.
    await queryRunner.query(
      `CREATE INDEX "runs_pending_pickup_idx" ON "runs" ("priority" DESC, "created_at", "id") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "runs_running_lease_idx" ON "runs" ("lease_expires_at") WHERE "status" = 'running'`,
    );
    await queryRunner.query(`CREATE INDEX "runs_agent_running_idx" ON "runs" ("agent_id") WHERE "status" = 'running'`);

    await queryRunner.query(
      `CREATE TYPE "public"."tool_call_status" AS ENUM('running', 'succeeded', 'failed', 'cancelled')`,
    );
    await queryRunner.query(
      `CREATE TABLE "tool_calls" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "run_id" uuid NOT NULL,
        "step_index" integer NOT NULL,
        "skill_id" character varying(100) NOT NULL,
        "input" jsonb NOT NULL,
        "output" jsonb,
        "error" text,
        "status" "public"."tool_call_status" NOT NULL DEFAULT 'running',
        "attempts" integer NOT NULL DEFAULT 0,
        "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "completed_at" TIMESTAMP(3) WITH TIME ZONE,
        "duration_ms" integer,
        CONSTRAINT "tool_calls_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "tool_calls_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "provenance"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "tool_calls_run_step_idx" ON "tool_calls" ("run_id", "step_index")`);

    // A memory written by a run step records it, so a retried step cannot write it twice.
    await queryRunner.query(`ALTER TABLE "memories" ADD "run_id" uuid, ADD "step_index" integer`);
    await queryRunner.query(
      `ALTER TABLE "memories" ADD CONSTRAINT "memories_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "provenance"("id") ON DELETE SET NULL`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "memories_run_step_idx" ON "memories" ("run_id", "step_index")`);
    await queryRunner.query(
      `CREATE INDEX "memories_agent_type_created_at_idx" ON "memories" ("agent_id", "memory_type", "created_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "memories_agent_type_created_at_idx"`);
    await queryRunner.query(`DROP INDEX "memories_run_step_idx"`);
    await queryRunner.query(`ALTER TABLE "memories" DROP CONSTRAINT "memories_run_id_fkey"`);
    await queryRunner.query(`ALTER TABLE "memories" DROP COLUMN "step_index", DROP COLUMN "run_id"`);
    await queryRunner.query(`DROP TABLE "tool_calls"`);
    await queryRunner.query(`DROP TYPE "public"."tool_call_status"`);
    await queryRunner.query(`DROP TABLE "runs"`);
    await queryRunner.query(
      `ALTER TABLE "agents" DROP CONSTRAINT "agents_max_concurrent_runs_check", DROP COLUMN "max_concurrent_runs"`,
    );
  }
}
