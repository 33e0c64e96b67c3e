/**
 * Runner configuration (spec R8): read from the environment once, at boot, with the declarations
 * of settings.ts. Every problem names its variable. Keys the runner may generate (the provider
 * API key, the secrets key) are kept in the data folder so they survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AllowedTarget } from './security/allowedTargets.js';
import { parseSecretsKey, readSettings, type LogLevel } from './settings.js';

export interface Config {
  /** Unset: embedded PGlite in `pgliteDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  pgliteDir: string;
  port: number;
  providerApiKey: string;
  /** Where the provider key came from, for the boot message. */
  providerApiKeySource: 'env' | 'generated' | 'file';
  /** 32 bytes, for AES-256-GCM of header values and signing secrets. */
  secretsKey: Buffer;
  secretsKeySource: 'env' | 'generated' | 'file';
  allowedPrivateTargets: AllowedTarget[];
  /** Delays between attempts, in milliseconds: after attempt n fails, wait retryScheduleMs[n-1]. */
  retryScheduleMs: number[];
  logLevel: LogLevel;
  /** Deliveries a worker process holds at once (WORKER_MAX_IN_FLIGHT). */
  workerMaxInFlight: number;
  /** Lead intakes an API process writes to the database at once (INTAKE_MAX_TRANSACTIONS). */
  intakeMaxTransactions: number;
  /** Requests open at once per endpoint and worker process (ENDPOINT_MAX_IN_FLIGHT). */
  endpointMaxInFlight: number;
  /** The runner's tables live in this PostgreSQL schema (DATABASE_SCHEMA); unset: search_path default. */
  databaseSchema: string | undefined;
  /** pg-boss's schema (PGBOSS_SCHEMA, default `pgboss`). */
  bossSchema: string | undefined;
  /** Consecutive failed attempts that open an endpoint's circuit; 0 turns the breaker off. */
  circuitBreakerThreshold: number;
  /** The first cool-down before a probe; each failed probe doubles it (capped at 1 h). */
  circuitBreakerCooldownMs: number;
  /** Days a finished delivery (and its attempts) is kept; 0 keeps them forever. */
  retentionDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Working directory `DATA_DIR` is resolved against (default: process.cwd()). */
  cwd?: string;
  /** Where to print notices such as a generated key (default: stderr). */
  notice?: (message: string) => void;
}

function readOrCreate(
  file: string,
  create: () => string,
): { value: string; source: 'generated' | 'file' } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), source: 'file' };
  mkdirSync(path.dirname(file), { recursive: true });
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { value, source: 'generated' };
}

/**
 * Parses `env` and resolves the generated keys. Throws a ConfigError listing every problem, each
 * naming its variable.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): Config {
  const { values: parsed, problems } = readSettings(env);
  if (problems.length > 0) throw new ConfigError(problems);
  const notice = options.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  const dataDir = path.resolve(options.cwd ?? process.cwd(), parsed.DATA_DIR);

  let providerApiKey = parsed.PROVIDER_API_KEY;
  let providerApiKeySource: Config['providerApiKeySource'] = 'env';
  if (providerApiKey === undefined) {
    const file = path.join(dataDir, 'provider-key');
    const stored = readOrCreate(file, () => `ld_pk_${randomBytes(32).toString('base64url')}`);
    providerApiKey = stored.value;
    providerApiKeySource = stored.source;
    if (stored.source === 'generated') {
      notice(
        `PROVIDER_API_KEY is not set: generated a provider API key, kept in ${file}:\n  ${providerApiKey}`,
      );
    } else {
      notice(`PROVIDER_API_KEY is not set: using the provider API key kept in ${file}`);
    }
  }

  let secretsKey = parsed.SECRETS_KEY;
  let secretsKeySource: Config['secretsKeySource'] = 'env';
  if (secretsKey === undefined) {
    const file = path.join(dataDir, 'secrets.key');
    const stored = readOrCreate(file, () => randomBytes(32).toString('hex'));
    try {
      secretsKey = parseSecretsKey(stored.value);
    } catch (err) {
      throw new ConfigError([`SECRETS_KEY is not set and ${file} ${(err as Error).message}`]);
    }
    secretsKeySource = stored.source;
    if (stored.source === 'generated') {
      notice(
        `SECRETS_KEY is not set: generated one and kept it in ${file} (back it up: it decrypts stored secrets)`,
      );
    }
  }

  return {
    databaseUrl: parsed.DATABASE_URL,
    dataDir,
    pgliteDir: path.join(dataDir, 'pglite'),
    port: parsed.PORT,
    providerApiKey,
    providerApiKeySource,
    secretsKey,
    secretsKeySource,
    allowedPrivateTargets: parsed.ALLOWED_PRIVATE_TARGETS ?? [],
    retryScheduleMs: parsed.RETRY_SCHEDULE,
    logLevel: parsed.LOG_LEVEL,
    workerMaxInFlight: parsed.WORKER_MAX_IN_FLIGHT,
    intakeMaxTransactions: parsed.INTAKE_MAX_TRANSACTIONS,
    endpointMaxInFlight: parsed.ENDPOINT_MAX_IN_FLIGHT,
    databaseSchema: parsed.DATABASE_SCHEMA,
    bossSchema: parsed.PGBOSS_SCHEMA,
    circuitBreakerThreshold: parsed.CIRCUIT_BREAKER_THRESHOLD,
    circuitBreakerCooldownMs: parsed.CIRCUIT_BREAKER_COOLDOWN,
    retentionDays: parsed.RETENTION_DAYS,
  };
}
