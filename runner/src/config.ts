/**
 * Runner configuration (spec R8): read from the environment once, at boot, with zod. Every
 * problem names its variable. Keys the runner may generate (the provider API key, the secrets
 * key) are kept in the data folder so they survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod/v4';
import { SCHEMA_NAME } from './db/types.js';

export const DEFAULT_RETRY_SCHEDULE = '5s,1m,5m,30m,2h,6h';
export const DEFAULT_CIRCUIT_BREAKER_THRESHOLD = 10;
export const DEFAULT_CIRCUIT_BREAKER_COOLDOWN = '30s';
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_BATCH_SIZE = 5000;
export const DEFAULT_RETENTION_INTERVAL = '1h';
export const DEFAULT_HEAP_GROWING_PERCENT = 60;

/**
 * Jobs per fetch. A fan-out batch runs one template execution per endpoint in it, and each
 * execution has a fixed cost in n8n-core, so larger batches make the groups larger: 300 against
 * 200 measured +10% on P3's fan-out and +3.6% on P1 (bench:worker, two interleaved pairs each), for
 * ~3 MB more of a worker's peak memory in P1. Small batches at moderate rates are unaffected.
 */
export const DEFAULT_WORKER_BATCH_SIZE = 300;

/**
 * Deliveries a worker process holds at once: claimed and waiting for a slot, sent, or being
 * recorded. Most are open requests, which cost an idle socket and a little memory each, so the
 * limit is in the thousands: receivers that answer slowly or never tie up a share of it, not the
 * worker.
 */
export const DEFAULT_WORKER_MAX_IN_FLIGHT = 2000;

/**
 * Requests open at once to one endpoint from one worker process (an endpoint's maxConcurrency,
 * when smaller, wins): the most a hanging receiver can take of a worker.
 */
export const DEFAULT_ENDPOINT_MAX_IN_FLIGHT = 100;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An entry of ALLOWED_PRIVATE_TARGETS: a host name, or an address range (a single IP is a /32 or /128). */
export type AllowedTarget =
  | { kind: 'host'; host: string }
  | { kind: 'cidr'; text: string; address: string; prefixLength: number };

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
  workerBatchSize: number;
  /** Deliveries a worker process holds at once (WORKER_MAX_IN_FLIGHT). */
  workerMaxInFlight: number;
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
  /** Deliveries per retention delete statement (each its own short transaction). */
  retentionBatchSize: number;
  /** Time between retention runs of a worker process (the first runs at start). */
  retentionIntervalMs: number;
  /** V8's old-generation growth per full collection, in percent; 0 leaves V8's own heuristics. */
  heapGrowingPercent: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1s,2s,5s`, `500ms`, `5m`, `2h` → milliseconds. Throws with a readable message. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) {
    throw new Error('must be a comma-separated list of durations such as "5s,1m,5m"');
  }
  return parts.map((part) => {
    const match = DURATION.exec(part);
    if (!match) {
      throw new Error(
        `"${part}" is not a duration (use a number with ms, s, m or h, e.g. 500ms, 5s, 1m, 2h)`,
      );
    }
    const ms = Math.round(Number(match[1]) * UNIT_MS[match[2]]);
    if (ms <= 0) throw new Error(`"${part}" must be longer than 0`);
    return ms;
  });
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function parseAllowedTarget(item: string): AllowedTarget {
  const text = item.replace(/^\[(.*)\]$/, '$1');
  if (text.includes('/')) {
    try {
      const [address, prefixLength] = ipaddr.parseCIDR(text);
      return { kind: 'cidr', text, address: address.toString(), prefixLength };
    } catch {
      throw new Error(`"${item}" is not a valid CIDR range`);
    }
  }
  if (ipaddr.isValid(text)) {
    const address = ipaddr.parse(text);
    return {
      kind: 'cidr',
      text,
      address: address.toString(),
      prefixLength: address.kind() === 'ipv4' ? 32 : 128,
    };
  }
  if (HOSTNAME.test(text)) return { kind: 'host', host: text.toLowerCase().replace(/\.$/, '') };
  throw new Error(`"${item}" is neither a host name, an IP address nor a CIDR range`);
}

export function parseAllowedTargets(text: string): AllowedTarget[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(parseAllowedTarget);
}

/** Whether a host name (as written in a URL) or a resolved address is on the allow-list. */
export function isAllowedPrivateTarget(
  targets: readonly AllowedTarget[],
  host: string,
  address?: string,
): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const candidates = [name, address].filter((value): value is string => !!value);
  return targets.some((target) => {
    if (target.kind === 'host') return target.host === name;
    return candidates.some((candidate) => {
      if (!ipaddr.isValid(candidate)) return false;
      let parsed = ipaddr.parse(candidate);
      const range = ipaddr.parse(target.address);
      if (parsed.kind() === 'ipv6' && range.kind() === 'ipv4') {
        const v6 = parsed as ipaddr.IPv6;
        if (!v6.isIPv4MappedAddress()) return false;
        parsed = v6.toIPv4Address();
      }
      if (parsed.kind() !== range.kind()) return false;
      return parsed.match(range, target.prefixLength);
    });
  });
}

/** 64 hex characters or base64 (standard or url-safe) of exactly 32 bytes. */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new Error('must be 32 bytes written as 64 hex characters or base64');
}

/** One duration (`500ms`, `30s`, `5m`, `1h`) → milliseconds. */
export function parseDuration(text: string): number {
  if (text.includes(',')) throw new Error('must be one duration such as "30s"');
  return parseRetrySchedule(text)[0];
}

function schemaName(text: string): string {
  if (!SCHEMA_NAME.test(text)) {
    throw new Error(
      `must be a schema name of lowercase letters, digits and _ (at most 63, not starting with a digit; got "${text}")`,
    );
  }
  return text;
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function intVar(name: string, fallback: number, min: number, max: number) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be an integer from ${min} to ${max} (got "${value}")`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

function parsedVar<T>(name: string, fallback: string | undefined, parse: (text: string) => T) {
  return optionalText.transform((value, ctx) => {
    const text = value ?? fallback;
    if (text === undefined) return undefined;
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${name} ${(err as Error).message}` });
      return z.NEVER;
    }
  });
}

const envSchema = z.object({
  DATABASE_URL: parsedVar('DATABASE_URL', undefined, (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error('must be a postgres:// connection URL');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new Error(`must be a postgres:// or postgresql:// URL (got "${url.protocol}")`);
    }
    return text;
  }),
  PORT: intVar('PORT', 3000, 0, 65535),
  PROVIDER_API_KEY: parsedVar('PROVIDER_API_KEY', undefined, (text) => {
    if (text.length < 16) throw new Error('must be at least 16 characters');
    return text;
  }),
  SECRETS_KEY: parsedVar('SECRETS_KEY', undefined, parseSecretsKey),
  ALLOWED_PRIVATE_TARGETS: parsedVar('ALLOWED_PRIVATE_TARGETS', '', parseAllowedTargets),
  RETRY_SCHEDULE: parsedVar('RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE, parseRetrySchedule),
  LOG_LEVEL: optionalText.transform((value, ctx) => {
    const level = (value ?? 'info').toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      ctx.addIssue({
        code: 'custom',
        message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`,
      });
      return z.NEVER;
    }
    return level as LogLevel;
  }),
  DATA_DIR: optionalText,
  WORKER_BATCH_SIZE: intVar('WORKER_BATCH_SIZE', DEFAULT_WORKER_BATCH_SIZE, 1, 1000),
  WORKER_MAX_IN_FLIGHT: intVar('WORKER_MAX_IN_FLIGHT', DEFAULT_WORKER_MAX_IN_FLIGHT, 1, 100_000),
  ENDPOINT_MAX_IN_FLIGHT: intVar(
    'ENDPOINT_MAX_IN_FLIGHT',
    DEFAULT_ENDPOINT_MAX_IN_FLIGHT,
    1,
    10_000,
  ),
  DATABASE_SCHEMA: parsedVar('DATABASE_SCHEMA', undefined, schemaName),
  PGBOSS_SCHEMA: parsedVar('PGBOSS_SCHEMA', undefined, schemaName),
  CIRCUIT_BREAKER_THRESHOLD: intVar(
    'CIRCUIT_BREAKER_THRESHOLD',
    DEFAULT_CIRCUIT_BREAKER_THRESHOLD,
    0,
    1000,
  ),
  CIRCUIT_BREAKER_COOLDOWN: parsedVar(
    'CIRCUIT_BREAKER_COOLDOWN',
    DEFAULT_CIRCUIT_BREAKER_COOLDOWN,
    parseDuration,
  ),
  HEAP_GROWING_PERCENT: intVar('HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, 0, 1000),
  RETENTION_DAYS: intVar('RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 0, 36500),
  RETENTION_BATCH_SIZE: intVar('RETENTION_BATCH_SIZE', DEFAULT_RETENTION_BATCH_SIZE, 1, 100000),
  RETENTION_INTERVAL: parsedVar('RETENTION_INTERVAL', DEFAULT_RETENTION_INTERVAL, (text) => {
    const ms = parseDuration(text);
    // setTimeout's limit is ~24.8 days; a run more often than every second is no retention.
    if (ms < 1000 || ms > 86_400_000) throw new Error(`must be from 1s to 24h (got "${text}")`);
    return ms;
  }),
});

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
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => issue.message));
  }
  const parsed = result.data;
  const notice = options.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  const dataDir = path.resolve(options.cwd ?? process.cwd(), parsed.DATA_DIR ?? '.data');

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
    retryScheduleMs: parsed.RETRY_SCHEDULE ?? parseRetrySchedule(DEFAULT_RETRY_SCHEDULE),
    logLevel: parsed.LOG_LEVEL,
    workerBatchSize: parsed.WORKER_BATCH_SIZE,
    workerMaxInFlight: parsed.WORKER_MAX_IN_FLIGHT,
    endpointMaxInFlight: parsed.ENDPOINT_MAX_IN_FLIGHT,
    databaseSchema: parsed.DATABASE_SCHEMA,
    bossSchema: parsed.PGBOSS_SCHEMA,
    circuitBreakerThreshold: parsed.CIRCUIT_BREAKER_THRESHOLD,
    circuitBreakerCooldownMs:
      parsed.CIRCUIT_BREAKER_COOLDOWN ?? parseDuration(DEFAULT_CIRCUIT_BREAKER_COOLDOWN),
    retentionDays: parsed.RETENTION_DAYS,
    retentionBatchSize: parsed.RETENTION_BATCH_SIZE,
    retentionIntervalMs: parsed.RETENTION_INTERVAL ?? parseDuration(DEFAULT_RETENTION_INTERVAL),
    heapGrowingPercent: parsed.HEAP_GROWING_PERCENT,
  };
}
