/**
 * Every setting the runner reads from its environment (spec R8), declared once: config.ts parses
 * the environment with these declarations, `lead-delivery --help` prints them, and a test checks
 * the README's settings table against them. Tuning chosen by the benchmark is not here: it is a
 * named constant beside the code it tunes.
 */
import { parseAllowedTargets } from './security/allowedTargets.js';
import { SCHEMA_NAME } from './db/types.js';

export interface SettingDeclaration<T> {
  /** What the value is, as the README and --help show it. */
  type: string;
  /** The default, as it would be written in the environment; none: the description says. */
  default?: string;
  description: string;
  /** The trimmed, non-empty text to its value; throws an Error whose message follows the name. */
  parse: (text: string) => T;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Comma-separated durations (a number with ms, s, m or h) → milliseconds. Throws readably. */
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

/** One duration (a number with ms, s, m or h) → milliseconds. */
export function parseDuration(text: string): number {
  if (text.includes(',')) throw new Error('must be one duration such as "30s"');
  return parseRetrySchedule(text)[0];
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

function integer(min: number, max: number) {
  return (text: string): number => {
    const parsed = Number(text);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`must be an integer from ${min} to ${max} (got "${text}")`);
    }
    return parsed;
  };
}

function schemaName(text: string): string {
  if (!SCHEMA_NAME.test(text)) {
    throw new Error(
      `must be a schema name of lowercase letters, digits and _ (at most 63, not starting with a digit; got "${text}")`,
    );
  }
  return text;
}

function databaseUrl(text: string): string {
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
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function logLevel(text: string): LogLevel {
  const level = text.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`must be one of ${LOG_LEVELS.join(', ')} (got "${text}")`);
  }
  return level as LogLevel;
}

/** The runner's settings, in the order --help and the README list them. */
export const SETTINGS = {
  DATABASE_URL: {
    type: 'postgres:// URL',
    description: 'PostgreSQL to use; unset: embedded PostgreSQL (PGlite) in DATA_DIR',
    parse: databaseUrl,
  },
  PORT: {
    type: 'integer 0–65535',
    default: '3000',
    description: 'port of the API and the /delivery page (0: any free port)',
    parse: integer(0, 65535),
  },
  PROVIDER_API_KEY: {
    type: 'text, 16+ characters',
    description:
      'key of the lead provider (POST /v1/leads, /v1/sellers, …); unset: generated once and kept in DATA_DIR/provider-key',
    parse: (text: string) => {
      if (text.length < 16) throw new Error('must be at least 16 characters');
      return text;
    },
  },
  SECRETS_KEY: {
    type: '32 bytes, hex or base64',
    description:
      'encrypts header values and signing secrets at rest; unset: generated once and kept in DATA_DIR/secrets.key (back it up)',
    parse: parseSecretsKey,
  },
  ALLOWED_PRIVATE_TARGETS: {
    type: 'hosts, IPs and CIDRs, comma-separated',
    description:
      'non-public targets endpoints may still deliver to (e.g. 127.0.0.1,::1), the only way around the public-URL rule; unset: none',
    parse: parseAllowedTargets,
  },
  RETRY_SCHEDULE: {
    type: 'durations, comma-separated',
    default: '5s,1m,5m,30m,2h,6h',
    description: 'delays between attempts; one attempt more than delays',
    parse: parseRetrySchedule,
  },
  DATA_DIR: {
    type: 'folder',
    default: '.data',
    description:
      'data folder: embedded PostgreSQL and generated keys (relative to the working folder)',
    parse: (text: string) => text,
  },
  LOG_LEVEL: {
    type: `one of ${LOG_LEVELS.join(', ')}`,
    default: 'info',
    description: 'least severe log line written',
    parse: logLevel,
  },
  WORKER_MAX_IN_FLIGHT: {
    type: 'integer 1–100000',
    default: '2000',
    description:
      'deliveries a worker process holds at once, most of them open requests: its memory against its throughput with slow receivers',
    parse: integer(1, 100_000),
  },
  ENDPOINT_MAX_IN_FLIGHT: {
    type: 'integer 1–10000',
    default: '100',
    description:
      "requests open at once per endpoint and worker process (an endpoint's maxConcurrency, when smaller, wins): the most a hanging receiver takes",
    parse: integer(1, 10_000),
  },
  INTAKE_MAX_TRANSACTIONS: {
    type: 'integer 1–1000',
    default: '1',
    description:
      "lead intakes (new leads, meeting changes) an API process writes to the database at once; the rest wait their turn in the process. Few keep the database's CPU for the worker's claims and records during a burst, at the cost of the most leads a second one API process takes in; raise it for bulk intake or a database with many cores",
    parse: integer(1, 1000),
  },
  DATABASE_SCHEMA: {
    type: 'schema name',
    description: "PostgreSQL schema of the runner's tables; unset: the search_path's",
    parse: schemaName,
  },
  PGBOSS_SCHEMA: {
    type: 'schema name',
    description: 'PostgreSQL schema of the job queue; unset: pgboss',
    parse: schemaName,
  },
  CIRCUIT_BREAKER_THRESHOLD: {
    type: 'integer 0–1000',
    default: '10',
    description:
      'failures of an endpoint in a row (not refused leads) that pause it; 0 turns the breaker off',
    parse: integer(0, 1000),
  },
  CIRCUIT_BREAKER_COOLDOWN: {
    type: 'duration',
    default: '30s',
    description:
      'pause before the first probe of a paused endpoint, doubled per failed probe up to 1h',
    parse: parseDuration,
  },
  RETENTION_DAYS: {
    type: 'integer 0–36500',
    default: '30',
    description: 'days finished deliveries and their attempts are kept; 0 keeps them forever',
    parse: integer(0, 36500),
  },
} satisfies Record<string, SettingDeclaration<unknown>>;

type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;

/** A setting's value: undefined only for a setting without a default that is not set. */
export type SettingValue<K extends SettingName> = Settings[K] extends { default: string }
  ? ReturnType<Settings[K]['parse']>
  : ReturnType<Settings[K]['parse']> | undefined;

/**
 * Reads every setting from `env` (blank counts as unset). Returns the values, or every problem
 * found, each starting with the setting's name.
 */
export function readSettings(env: NodeJS.ProcessEnv): {
  values: { [K in SettingName]: SettingValue<K> };
  problems: string[];
} {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(SETTINGS) as Array<
    [SettingName, SettingDeclaration<unknown>]
  >) {
    const given = env[name]?.trim();
    const text = given === undefined || given === '' ? setting.default : given;
    if (text === undefined) continue;
    try {
      values[name] = setting.parse(text);
    } catch (err) {
      problems.push(`${name} ${(err as Error).message}`);
    }
  }
  return { values: values as { [K in SettingName]: SettingValue<K> }, problems };
}

/** The settings as `lead-delivery --help` lists them: name, description, type and default. */
export function settingsHelp(width = 100): string {
  const indent = 2;
  const column = indent + Math.max(...Object.keys(SETTINGS).map((name) => name.length)) + 2;
  const lines: string[] = [];
  for (const [name, setting] of Object.entries(SETTINGS) as Array<
    [string, SettingDeclaration<unknown>]
  >) {
    const facts = [setting.type];
    if (setting.default !== undefined) facts.push(`default ${setting.default}`);
    let line = `${' '.repeat(indent)}${name}`.padEnd(column);
    let empty = true;
    for (const word of `${setting.description} (${facts.join('; ')})`.split(' ')) {
      if (!empty && line.length + 1 + word.length > width) {
        lines.push(line);
        line = ' '.repeat(column);
        empty = true;
      }
      line += empty ? word : ` ${word}`;
      empty = false;
    }
    lines.push(line);
  }
  return lines.join('\n');
}
