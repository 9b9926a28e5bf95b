import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model-driven agent loop: agent settings (planner, instructions, models, skills, max_steps)
 * and usage totals; run settings snapshot, recalled context, result, usage and model-wait state;
 * model calls (written ahead, replayed after a crash); tool calls linked to the model call that
 * asked for them; the `run_result` memory type. Existing agents stay rule-based.
 */
export class AgentLoop1764288000000 implements MigrationInterface {
  name = 'AgentLoop1764288000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."agent_planner" AS ENUM('rule-based', 'llm')`);
    await queryRunner.query(
      `ALTER TABLE "agents"
         ADD "planner" "public"."agent_planner" NOT NULL DEFAULT 'rule-based',
         ADD "instructions" text,
         ADD "models" jsonb,
         ADD "skills" text array,
         ADD "max_steps" integer NOT NULL DEFAULT 20,
         ADD "model_calls" bigint NOT NULL DEFAULT 0,
         ADD "input_tokens" bigint NOT NULL DEFAULT 0,
         ADD "output_tokens" bigint NOT NULL DEFAULT 0,
         ADD CONSTRAINT "agents_max_steps_check" CHECK ("max_steps" BETWEEN 1 AND 100),
         ADD CONSTRAINT "agents_instructions_check" CHECK (char_length("instructions") <= 20000)`,
    );
    await queryRunner.query(
      `ALTER TABLE "runs"
         ADD "settings" jsonb,
         ADD "context" jsonb,
         ADD "result" text,
         ADD "model_calls" integer NOT NULL DEFAULT 0,
         ADD "input_tokens" integer NOT NULL DEFAULT 0,
         ADD "output_tokens" integer NOT NULL DEFAULT 0,
         ADD "model_wait_since" TIMESTAMP(3) WITH TIME ZONE,
         ADD "model_waits" integer NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."model_call_status" AS ENUM('running', 'succeeded', 'failed', 'cancelled')`,
    );
    await queryRunner.query(
      `CREATE TABLE "model_calls" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "run_id" uuid NOT NULL,
        "call_index" integer NOT NULL,
        "step" integer NOT NULL,
        "status" "public"."model_call_status" NOT NULL DEFAULT 'running',
        "provider" character varying(20),
        "model" character varying(200),
        "attempts" integer NOT NULL DEFAULT 0,
        "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "completed_at" TIMESTAMP(3) WITH TIME ZONE,
        "duration_ms" integer,
        "input_tokens" integer,
        "output_tokens" integer,
        "stop_reason" character varying(50),
        "error" text,
        "content" jsonb,
        "memory_ids" uuid array NOT NULL DEFAULT '{}',
        CONSTRAINT "model_calls_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "model_calls_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "provenance"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "model_calls_run_call_idx" ON "model_calls" ("run_id", "call_index")`);
    await queryRunner.query(
      `ALTER TABLE "tool_calls" ADD "model_call_index" integer, ADD "tool_use_id" character varying(200)`,
    );
    await queryRunner.query(`ALTER TYPE "public"."memory_type" ADD VALUE 'run_result'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // An enum value cannot be dropped: rebuild the type without it (its memories go first).
    await queryRunner.query(`DELETE FROM "memories" WHERE "memory_type" = 'run_result'`);
    await queryRunner.query(`ALTER TYPE "public"."memory_type" RENAME TO "memory_type_old"`);
    await queryRunner.query(
      `CREATE TYPE "public"."memory_type" AS ENUM('skill_result', 'user_input', 'system', 'context')`,
    );
    await queryRunner.query(
      `ALTER TABLE "memories" ALTER COLUMN "memory_type" TYPE "public"."memory_type" USING "memory_type"::text::"public"."memory_type"`,
    );
    await queryRunner.query(`DROP TYPE "public"."memory_type_old"`);
    await queryRunner.query(`ALTER TABLE "tool_calls" DROP COLUMN "tool_use_id", DROP COLUMN "model_call_index"`);
    await queryRunner.query(`DROP TABLE "model_calls"`);
    await queryRunner.query(`DROP TYPE "public"."model_call_status"`);
    await queryRunner.query(
      `ALTER TABLE "runs" DROP COLUMN "model_waits", DROP COLUMN "model_wait_since", DROP COLUMN "output_tokens",
         DROP COLUMN "input_tokens", DROP COLUMN "model_calls", DROP COLUMN "result", DROP COLUMN "context",
         DROP COLUMN "settings"`,
    );
    await queryRunner.query(
      `ALTER TABLE "agents" DROP CONSTRAINT "agents_instructions_check", DROP CONSTRAINT "agents_max_steps_check",
         DROP COLUMN "output_tokens", DROP COLUMN "input_tokens", DROP COLUMN "model_calls", DROP COLUMN "max_steps",
         DROP COLUMN "skills", DROP COLUMN "models", DROP COLUMN "instructions", DROP COLUMN "planner"`,
    );
    await queryRunner.query(`DROP TYPE "public"."agent_planner"`);
  }
}
