import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks that cannot hold the rest back: each counts its failed attempts in a row (past a
 * bound it is disabled) and when it was last served (claims take turns). Their secrets are sealed
 * like connection secrets: new columns for the ciphertext; the plaintext columns stay nullable
 * until the application seals what they hold, at its next start (SQL cannot seal).
 */
export class Robustness1764806400000 implements MigrationInterface {
  name = 'Robustness1764806400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ALTER COLUMN "secret" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "secret_ciphertext" text`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "previous_secret_ciphertext" text`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "secret_key_id" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "consecutive_failures" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "last_served_at" TIMESTAMP(3) WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "last_served_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "consecutive_failures"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "secret_key_id"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "previous_secret_ciphertext"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "secret_ciphertext"`);
    // A sealed secret cannot go back into the clear here: such webhooks must be created again.
    await queryRunner.query(`DELETE FROM "webhooks" WHERE "secret" IS NULL`);
    await queryRunner.query(`ALTER TABLE "webhooks" ALTER COLUMN "secret" SET NOT NULL`);
  }
}
