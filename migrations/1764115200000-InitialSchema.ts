import { MigrationInterface, QueryRunner } from 'typeorm';

/** Agents, memories and provenance: the original data model. Needs PostgreSQL >= 13. */
export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."agent_status" AS ENUM('active', 'paused', 'stopped')`);
    await queryRunner.query(
      `CREATE TABLE "agents" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" character varying(200) NOT NULL,
        "status" "public"."agent_status" NOT NULL DEFAULT 'active',
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "agents_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "agents_created_at_id_idx" ON "agents" ("created_at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "agents_status_created_at_id_idx" ON "agents" ("status", "created_at", "id")`,
    );

    await queryRunner.query(
      `CREATE TYPE "public"."memory_type" AS ENUM('skill_result', 'user_input', 'system', 'context')`,
    );
    // TypeORM keeps generated-column expressions in typeorm_metadata to diff them; record ours the same way.
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value") VALUES (current_database(), current_schema(), 'memories', 'GENERATED_COLUMN', 'search', $1)`,
      [`to_tsvector('english', "text")`],
    );
    await queryRunner.query(
      `CREATE TABLE "memories" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "agent_id" uuid NOT NULL,
        "memory_type" "public"."memory_type" NOT NULL,
        "text" text NOT NULL,
        "meta" jsonb,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "search" tsvector GENERATED ALWAYS AS (to_tsvector('english', "text")) STORED NOT NULL,
        CONSTRAINT "memories_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "memories_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE INDEX "memories_agent_created_at_id_idx" ON "memories" ("agent_id", "created_at", "id")`,
    );
    await queryRunner.query(`CREATE INDEX "memories_search_idx" ON "memories" USING GIN ("search")`);

    await queryRunner.query(
      `CREATE TYPE "public"."run_status" AS ENUM('pending', 'running', 'completed', 'failed', 'partial', 'cancelled')`,
    );
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
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "provenance"`);
    await queryRunner.query(`DROP TYPE "public"."run_status"`);
    await queryRunner.query(`DROP TABLE "memories"`);
    await queryRunner.query(
      `DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "name" = 'search' AND "database" = current_database() AND "schema" = current_schema() AND "table" = 'memories'`,
    );
    await queryRunner.query(`DROP TYPE "public"."memory_type"`);
    await queryRunner.query(`DROP TABLE "agents"`);
    await queryRunner.query(`DROP TYPE "public"."agent_status"`);
  }
}
