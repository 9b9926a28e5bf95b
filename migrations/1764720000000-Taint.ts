import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Taint and egress: a run records when outside content first entered its context (`taint`);
 * memories say whether they may be trusted (what a skill brought in from outside never is, so the
 * skill_result memories already stored become untrusted); agents gain egress allow-lists and the
 * choice not to remember tool results; a call waiting for a person says why.
 */
export class Taint1764720000000 implements MigrationInterface {
  name = 'Taint1764720000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "runs" ADD "taint" jsonb`);
    await queryRunner.query(`ALTER TABLE "memories" ADD "trusted" boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`UPDATE "memories" SET "trusted" = false WHERE "memory_type" = 'skill_result'`);
    await queryRunner.query(`ALTER TABLE "agents" ADD "egress" text array`);
    await queryRunner.query(`ALTER TABLE "agents" ADD "egress_trusted" text array NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE "agents" ADD "remember_tool_results" boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`ALTER TABLE "tool_calls" ADD "approval_requested_reason" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tool_calls" DROP COLUMN "approval_requested_reason"`);
    await queryRunner.query(`ALTER TABLE "agents" DROP COLUMN "remember_tool_results"`);
    await queryRunner.query(`ALTER TABLE "agents" DROP COLUMN "egress_trusted"`);
    await queryRunner.query(`ALTER TABLE "agents" DROP COLUMN "egress"`);
    await queryRunner.query(`ALTER TABLE "memories" DROP COLUMN "trusted"`);
    await queryRunner.query(`ALTER TABLE "runs" DROP COLUMN "taint"`);
  }
}
