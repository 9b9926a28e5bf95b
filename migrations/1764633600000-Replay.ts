import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replay: a run can replay another (`replay_of`, in a mode), may stop at a divergence from the
 * record it replays, and its model and tool calls served from that record point at the originals
 * (`replayed_from`). No foreign key on either: a replay and its original belong to one agent and
 * go with it, and a key would cost a lookup on every delete of a run.
 */
export class Replay1764633600000 implements MigrationInterface {
  name = 'Replay1764633600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."replay_mode" AS ENUM('recorded', 'model_live', 'live')`);
    await queryRunner.query(`ALTER TABLE "runs" ADD "replay_of" uuid`);
    await queryRunner.query(`ALTER TABLE "runs" ADD "replay_mode" "public"."replay_mode"`);
    await queryRunner.query(`ALTER TABLE "runs" ADD "divergence" jsonb`);
    await queryRunner.query(`ALTER TABLE "model_calls" ADD "replayed_from" uuid`);
    await queryRunner.query(`ALTER TABLE "tool_calls" ADD "replayed_from" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tool_calls" DROP COLUMN "replayed_from"`);
    await queryRunner.query(`ALTER TABLE "model_calls" DROP COLUMN "replayed_from"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "divergence"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "replay_mode"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "replay_of"`);
    await queryRunner.query(`DROP TYPE "public"."replay_mode"`);
  }
}
