/**
 * Numbered SQL migrations (`runner/migrations/NNN_name.sql`), applied in order in one transaction
 * and recorded in `schema_migrations`. On PostgreSQL a transaction-scoped advisory lock makes two
 * processes migrating at once safe: the second waits, then finds nothing left to apply. PGlite is
 * one process with one session, so it needs no lock.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './types.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Finds runner/migrations from src (tests) or from dist (compiled). */
export function migrationsDir(from: string = __dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i += 1) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(path.join(candidate, '001_init.sql'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`runner/migrations not found above ${from}`);
}

export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: match[2],
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (index > 0 && migrations[index - 1].version === migration.version) {
      throw new Error(`two migrations numbered ${migration.version}`);
    }
  });
  return migrations;
}

/** Applies the pending migrations; returns the versions it applied. */
export async function migrate(
  db: Db,
  migrations: Migration[] = loadMigrations(),
): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (tx.kind === 'postgres') {
      await tx.query(
        "SELECT pg_advisory_xact_lock(hashtext('lead-delivery:migrate:' || current_schema()))",
      );
    }
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.executeSql(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      done.push(migration.version);
    }
    return done;
  });
}
