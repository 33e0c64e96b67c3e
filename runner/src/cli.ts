import { ConfigError, loadConfig } from './config.js';
import { migrate, openDb } from './db/index.js';
import { applyHeapGrowth } from './heapGrowth.js';
import { startRuntime, type Role } from './runtime.js';

const COMMANDS: Record<string, string> = {
  start: 'run the API and a delivery worker in one process (the quick start)',
  api: 'run the HTTP API only (GET /delivery, /v1/…, /healthz, /metrics)',
  worker: 'run a delivery worker only (many may share one PostgreSQL)',
  migrate: 'apply database migrations and exit',
};

const ENVIRONMENT = `Environment:
  DATABASE_URL             PostgreSQL URL; unset: embedded PostgreSQL (PGlite) in DATA_DIR
  PORT                     API port (default 3000)
  PROVIDER_API_KEY         key of the lead provider (POST /v1/leads, /v1/sellers, …);
                           unset: generated once and kept in DATA_DIR/provider-key
  SECRETS_KEY              32-byte key (64 hex chars or base64) encrypting header values and
                           signing secrets; unset: generated once and kept in DATA_DIR/secrets.key
  ALLOWED_PRIVATE_TARGETS  comma list of hosts/CIDRs exempt from the public-URL rule (e.g. 127.0.0.1,::1)
  RETRY_SCHEDULE           delays between attempts (default 5s,1m,5m,30m,2h,6h)
  DATA_DIR                 data folder (default ./.data)
  LOG_LEVEL                fatal|error|warn|info|debug|trace|silent (default info)
  WORKER_BATCH_SIZE        jobs per fetch (default 300)
  WORKER_MAX_IN_FLIGHT     deliveries a worker process holds at once, most of them open requests
                           (default 2000)
  ENDPOINT_MAX_IN_FLIGHT   requests open at once per endpoint and worker process (default 100;
                           an endpoint's maxConcurrency, when smaller, wins)
  DATABASE_SCHEMA          PostgreSQL schema of the runner's tables (default: the search_path's)
  PGBOSS_SCHEMA            PostgreSQL schema of the job queue (default pgboss)
  CIRCUIT_BREAKER_THRESHOLD  endpoint failures in a row that pause it (not refused leads; default 10; 0: off)
  CIRCUIT_BREAKER_COOLDOWN   pause before the first probe, doubled per failed probe (default 30s)
  RETENTION_DAYS           days finished deliveries and their attempts are kept (default 30; 0: forever)
  RETENTION_BATCH_SIZE     deliveries deleted per statement by retention (default 5000)
  RETENTION_INTERVAL       time between retention runs of a worker, first at start (default 1h)
  HEAP_GROWING_PERCENT     V8 old-generation growth per full collection, in % (default 60; 0: V8's own)`;

function usage(command?: string): string {
  if (command && COMMANDS[command]) {
    return `Usage: lead-delivery ${command}\n\n${COMMANDS[command]}.\n\n${ENVIRONMENT}\n`;
  }
  const list = Object.entries(COMMANDS)
    .map(([name, text]) => `  ${name.padEnd(9)}${text}`)
    .join('\n');
  return `Usage: lead-delivery <command> [--help]\n\nCommands:\n${list}\n\n${ENVIRONMENT}\n`;
}

/** Entry point of `lead-delivery`; resolves with the exit code (servers keep running until a signal). */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage());
    return command ? 0 : 1;
  }
  if (!COMMANDS[command]) {
    process.stderr.write(`lead-delivery: unknown command "${command}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(usage(command));
    return 0;
  }

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lead-delivery: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  if (command === 'migrate') {
    const db = await openDb(config, { schema: config.databaseSchema });
    try {
      const applied = await migrate(db);
      process.stdout.write(
        applied.length ? `Applied migrations: ${applied.join(', ')}\n` : 'Database is up to date\n',
      );
    } finally {
      await db.close();
    }
    return 0;
  }

  applyHeapGrowth(config.heapGrowingPercent);
  const runtime = await startRuntime(command as Role, config, {
    seedDemo: command !== 'worker',
    onDemoSeeded: (demo) =>
      process.stdout.write(
        [
          '',
          'Created a demo seller for the quick start (shown once):',
          `  seller id:     ${demo.sellerId}`,
          `  lead order id: ${demo.leadOrderId}`,
          `  API key:       ${demo.apiKey}`,
          '',
        ].join('\n'),
      ),
  });
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PostgreSQL in ${config.pgliteDir}`;
  runtime.logger.info(
    { role: command, port: runtime.port || undefined, database: where },
    runtime.server
      ? `lead-delivery ${command} listening on http://localhost:${runtime.port} (page: /delivery)`
      : `lead-delivery ${command} running`,
  );

  const shutdown = (signal: string) => {
    runtime.logger.info({ signal }, 'shutting down: finishing in-flight deliveries');
    runtime.stop().then(
      () => process.exit(0),
      (error) => {
        runtime.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return undefined;
}
