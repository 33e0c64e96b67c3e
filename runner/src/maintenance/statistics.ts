/**
 * Keeps the planner statistics of the runner's and pg-boss's tables fresh (store/statistics.ts
 * says why): worker processes on PostgreSQL check at start, before they fetch their first jobs,
 * and then every 10 s, and ANALYZE the tables that changed by more than a tenth
 * since their last analysis. The check reads one statistics view; an ANALYZE samples a bounded
 * number of rows whatever the table's size, so a round stays short.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/types.js';
import { analyzeTable, staleTables, type StalenessRule } from '../store/statistics.js';

export const STATISTICS_INTERVAL_MS = 10_000;

/** Autovacuum's own rule (a tenth of the table changed), with a floor that skips tiny tables. */
export const STALENESS: StalenessRule = { minChangedRows: 1000, minChangedShare: 0.1 };

/** Analyzes the stale tables of the runner's schema and `schemas`; returns those analyzed. */
export async function refreshStatistics(db: Db, schemas: readonly string[]): Promise<string[]> {
  const analyzed: string[] = [];
  for (const table of await staleTables(db, schemas, STALENESS)) {
    if (await analyzeTable(db, table)) analyzed.push(table);
  }
  return analyzed;
}

export interface StatisticsLoop {
  /** Resolves after the first round (which never throws: a failure is logged). */
  readonly firstRound: Promise<void>;
  stop(): Promise<void>;
}

export function startStatistics(options: {
  db: Db;
  logger: Logger;
  /** Schemas besides the runner's own: pg-boss's. */
  schemas: readonly string[];
  intervalMs?: number;
}): StatisticsLoop {
  const { db, logger, schemas } = options;
  const intervalMs = options.intervalMs ?? STATISTICS_INTERVAL_MS;
  if (db.kind !== 'postgres') {
    // The embedded PGlite serves one process with small tables; nothing to keep up with.
    return { firstRound: Promise.resolve(), stop: async () => {} };
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const round = async () => {
    const started = Date.now();
    try {
      const analyzed = await refreshStatistics(db, schemas);
      if (analyzed.length > 0) {
        logger.debug({ tables: analyzed, ms: Date.now() - started }, 'statistics refreshed');
      }
    } catch (err) {
      if (!stopped) logger.warn({ err }, 'statistics refresh failed; trying again later');
    }
  };
  const tick = () => {
    running = round().finally(() => {
      if (stopped) return;
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    });
  };
  tick();
  const firstRound = running;

  return {
    firstRound,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
