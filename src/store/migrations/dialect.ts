import { sql, type ColumnDefinitionBuilder, type Expression } from 'kysely';

/** The two databases keygate runs on. One schema; these are the only places it differs. */
export type Dialect = 'sqlite' | 'postgres';

/** What a migration needs to know about the database it runs on. */
export interface SchemaTypes {
  /** A row id the database assigns: 64-bit, increasing, never reused. */
  idType: 'integer' | 'bigint';
  id(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** ISO-8601 text (schema.ts): byte order is time order, so PostgreSQL compares it in the "C" collation. */
  timeType: Expression<unknown>;
}

export function schemaTypes(dialect: Dialect): SchemaTypes {
  return dialect === 'postgres'
    ? {
        idType: 'bigint',
        id: (column) => column.primaryKey().generatedByDefaultAsIdentity(),
        timeType: sql`text collate "C"`,
      }
    : {
        idType: 'integer',
        // AUTOINCREMENT: an id is never handed out twice, even after the newest rows are deleted, so a
        // cursor or a log line that names an id cannot come to mean another row.
        id: (column) => column.primaryKey().autoIncrement(),
        timeType: sql`text`,
      };
}
