import { ConfigError, loadConfig } from './config.js';
import { migrate, openDb } from './db/index.js';
import { applyHeapGrowth } from './heapGrowth.js';
import { startRuntime, type Role } from './runtime.js';
import { settingsHelp } from './settings.js';

const COMMANDS: Record<string, string> = {
  start: 'run the API and a delivery worker in one process (the quick start)',
  api: 'run the HTTP API only (GET /delivery, /v1/…, /healthz, /metrics)',
  worker: 'run a delivery worker only (many may share one PostgreSQL)',
  migrate: 'apply database migrations and exit',
};

const ENVIRONMENT = `Environment (every setting; unset or blank: the default):\n${settingsHelp()}`;

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

  applyHeapGrowth();
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
