import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One run, one record: the provenance table's plan and planner move onto the run row (which
 * already held the goal, status, error and times provenance repeated), its calls and memories
 * point at the run, and provenance goes. A run gains `lease_epoch`, the fencing token a worker's
 * writes are checked against: it grows with every claim, so a worker that lost its lease cannot
 * write a step of the run another worker now holds.
 */
export class RunRecord1764892800000 implements MigrationInterface {
  name = 'RunRecord1764892800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "runs" ADD "planner" character varying(100)`);
    await queryRunner.query(`ALTER TABLE "runs" ADD "plan" jsonb`);
    await queryRunner.query(`ALTER TABLE "runs" ADD "lease_epoch" bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `UPDATE "runs" r SET "planner" = p."planner", "plan" = p."plan" FROM "provenance" p WHERE p."id" = r."id"`,
    );
    // A record whose run row is gone (none should be) becomes a finished run, so its calls keep a home.
    await queryRunner.query(
      `INSERT INTO "runs" ("id", "agent_id", "goal", "status", "error_message", "created_at", "completed_at", "planner", "plan")
       SELECT p."id", p."agent_id", p."goal",
              CASE WHEN p."status" IN ('completed', 'failed', 'partial', 'cancelled') THEN p."status" ELSE 'failed' END,
              coalesce(p."error_message", 'its run was lost before this migration'), p."created_at",
              coalesce(p."completed_at", now()), p."planner", p."plan"
         FROM "provenance" p WHERE NOT EXISTS (SELECT 1 FROM "runs" r WHERE r."id" = p."id")`,
    );
    // Calls still waiting for a person on a run that ended are closed as their run was.
    await queryRunner.query(
      `UPDATE "tool_calls" t SET "status" = 'cancelled', "approval_answered_at" = now(), "completed_at" = now(),
              "error" = 'cancelled while waiting for approval'
         FROM "runs" r
        WHERE r."id" = t."run_id" AND t."status" = 'awaiting_approval'
          AND r."status" IN ('completed', 'failed', 'partial', 'cancelled')`,
    );
    for (const [table, constraint, action] of [
      ['tool_calls', 'tool_calls_run_id_fkey', 'CASCADE'],
      ['model_calls', 'model_calls_run_id_fkey', 'CASCADE'],
      ['memories', 'memories_run_id_fkey', 'SET NULL'],
    ]) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE ${action}`,
      );
    }
    await queryRunner.query(`ALTER TABLE "runs" DROP CONSTRAINT "runs_id_fkey"`);
    await queryRunner.query(`ALTER TABLE "runs" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()`);
    await queryRunner.query(`DROP TABLE "provenance"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "provenance" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "agent_id" uuid NOT NULL,
        "goal" text NOT NULL,
        "planner" character varying(100),
        "plan" jsonb,
        "status" "public"."run_status" NOT NULL DEFAULT 'pending',
        "error_message" text,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "completed_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "provenance_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "provenance_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE INDEX "provenance_agent_created_at_id_idx" ON "provenance" ("agent_id", "created_at", "id")`,
    );
    await queryRunner.query(
      `INSERT INTO "provenance" ("id", "agent_id", "goal", "planner", "plan", "status", "error_message", "created_at", "completed_at")
       SELECT "id", "agent_id", "goal", "planner", "plan", "status", "error_message", "created_at", "completed_at" FROM "runs"`,
    );
    await queryRunner.query(`ALTER TABLE "runs" ALTER COLUMN "id" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "runs" ADD CONSTRAINT "runs_id_fkey" FOREIGN KEY ("id") REFERENCES "provenance"("id") ON DELETE CASCADE`,
    );
    for (const [table, constraint, action] of [
      ['tool_calls', 'tool_calls_run_id_fkey', 'CASCADE'],
      ['model_calls', 'model_calls_run_id_fkey', 'CASCADE'],
      ['memories', 'memories_run_id_fkey', 'SET NULL'],
    ]) {
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${constraint}"`);
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${constraint}" FOREIGN KEY ("run_id") REFERENCES "provenance"("id") ON DELETE ${action}`,
      );
    }
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "lease_epoch"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "plan"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "planner"`);
  }
}
