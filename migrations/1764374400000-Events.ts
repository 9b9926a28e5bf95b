import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events: the outbox (events, sequenced after commit into a gap-safe public id), the durable
 * positions of its readers (event_cursors), and webhooks with their delivery queue.
 */
export class Events1764374400000 implements MigrationInterface {
  name = 'Events1764374400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "events" (
        "pk" BIGSERIAL NOT NULL,
        "id" bigint,
        "agent_id" uuid NOT NULL,
        "run_id" uuid,
        "type" character varying(64) NOT NULL,
        "data" jsonb NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "events_pkey" PRIMARY KEY ("pk"))`,
    );
    // An appended row is indexed only by its pk and as unsequenced (what the sequencer looks for);
    // the reading indexes take it when it gets its id. Every index is a cost on every write path.
    await queryRunner.query(`CREATE INDEX "events_unsequenced_idx" ON "events" ("pk") WHERE "id" IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "events_id_key" ON "events" ("id") WHERE "id" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "events_agent_id_idx" ON "events" ("agent_id", "id") WHERE "id" IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "events_run_id_idx" ON "events" ("run_id", "id") WHERE "run_id" IS NOT NULL AND "id" IS NOT NULL`,
    );
    // Retention only: rows arrive in time order, so a BRIN index is enough and nearly free to keep.
    await queryRunner.query(`CREATE INDEX "events_created_at_idx" ON "events" USING brin ("created_at")`);
    await queryRunner.query(
      `CREATE TABLE "event_cursors" (
        "name" character varying(50) NOT NULL,
        "position" bigint NOT NULL DEFAULT 0,
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "event_cursors_pkey" PRIMARY KEY ("name"))`,
    );
    await queryRunner.query(
      `INSERT INTO "event_cursors" ("name") VALUES ('sequence'), ('pruned'), ('nats'), ('webhooks')`,
    );

    await queryRunner.query(
      `CREATE TABLE "webhooks" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "agent_id" uuid NOT NULL,
        "url" text NOT NULL,
        "events" text array,
        "description" character varying(500),
        "enabled" boolean NOT NULL DEFAULT true,
        "disabled_reason" text,
        "secret" text NOT NULL,
        "previous_secret" text,
        "previous_secret_expires_at" TIMESTAMP(3) WITH TIME ZONE,
        "retired_at" TIMESTAMP(3) WITH TIME ZONE,
        "lease_owner" character varying(100),
        "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhooks_agent_created_at_id_idx" ON "webhooks" ("agent_id", "created_at", "id")`,
    );
    await queryRunner.query(`CREATE TYPE "public"."delivery_status" AS ENUM('pending', 'delivered', 'failed')`);
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "webhook_id" uuid NOT NULL,
        "event_id" bigint NOT NULL,
        "event_type" character varying(64) NOT NULL,
        "status" "public"."delivery_status" NOT NULL DEFAULT 'pending',
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_attempt_at" TIMESTAMP(3) WITH TIME ZONE,
        "last_status_code" integer,
        "last_error" text,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "delivered_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhook_deliveries_webhook_event_idx" ON "webhook_deliveries" ("webhook_id", "event_id")`,
    );
    // Each webhook's next delivery (its oldest pending event), and what retention must keep.
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" ("webhook_id", "event_id") WHERE "status" = 'pending'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TYPE "public"."delivery_status"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
    await queryRunner.query(`DROP TABLE "event_cursors"`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
