import { MigrationInterface, QueryRunner } from 'typeorm';

const EXPRESSION = `aos_repeated_lexemes(to_tsvector('english', "text"))`;

/**
 * Bounded recall: besides the full-text vector, each memory keeps the lexemes it repeats (what
 * ts_rank scores above a single mention), with their own GIN index. Recall ranks the newest
 * matches plus the newest matches that repeat a query term instead of every match, so a common
 * word no longer ranks tens of thousands of rows. Adding the stored column rewrites the table
 * (about a second per 100k memories here).
 */
export class RecallCandidates1764979200000 implements MigrationInterface {
  name = 'RecallCandidates1764979200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // IMMUTABLE (it depends only on its argument), so a stored generated column may call it.
    await queryRunner.query(
      `CREATE FUNCTION aos_repeated_lexemes(v tsvector) RETURNS tsvector
         LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         AS $$ SELECT coalesce(array_to_tsvector(array_agg(lexeme)), ''::tsvector)
                 FROM unnest(v) WHERE cardinality(positions) > 1 $$`,
    );
    await queryRunner.query(
      `INSERT INTO "typeorm_metadata"("database", "schema", "table", "type", "name", "value") VALUES (current_database(), current_schema(), 'memories', 'GENERATED_COLUMN', 'search_repeats', $1)`,
      [EXPRESSION],
    );
    await queryRunner.query(
      `ALTER TABLE "memories" ADD "search_repeats" tsvector GENERATED ALWAYS AS (${EXPRESSION}) STORED NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "memories_search_repeats_idx" ON "memories" USING GIN ("search_repeats")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "memories_search_repeats_idx"`);
    await queryRunner.query(`ALTER TABLE "memories" DROP COLUMN "search_repeats"`);
    await queryRunner.query(
      `DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "name" = 'search_repeats' AND "database" = current_database() AND "schema" = current_schema() AND "table" = 'memories'`,
    );
    await queryRunner.query(`DROP FUNCTION aos_repeated_lexemes(tsvector)`);
  }
}
