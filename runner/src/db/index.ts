/** Opens the runner's database: PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise. */
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb } from './postgres.js';
import type { Db } from './types.js';

export type { Db } from './types.js';
export { migrate } from './migrate.js';

export interface OpenDbOptions {
  schema?: string;
  max?: number;
}

export async function openDb(
  config: Pick<Config, 'databaseUrl' | 'pgliteDir'>,
  options: OpenDbOptions = {},
): Promise<Db> {
  if (config.databaseUrl) {
    return createPostgresDb({ connectionString: config.databaseUrl, ...options });
  }
  mkdirSync(config.pgliteDir, { recursive: true });
  return createPgliteDb({ dataDir: config.pgliteDir, schema: options.schema });
}
