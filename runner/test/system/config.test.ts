/** R8 configuration: parsed once from the environment, problems named by variable. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config.js';
import { isAllowedPrivateTarget, parseAllowedTargets } from '../../src/security/allowedTargets.js';
import { parseRetrySchedule } from '../../src/settings.js';

const KEY_HEX = 'ab'.repeat(32);
const quiet = { notice: () => {} };
const base = { PROVIDER_API_KEY: 'provider-key-0123456789', SECRETS_KEY: KEY_HEX };

test('defaults', () => {
  const config = loadConfig(base, { ...quiet, cwd: '/srv/app' });
  expect(config).toMatchObject({
    databaseUrl: undefined,
    dataDir: '/srv/app/.data',
    pgliteDir: '/srv/app/.data/pglite',
    port: 3000,
    providerApiKey: 'provider-key-0123456789',
    providerApiKeySource: 'env',
    secretsKeySource: 'env',
    allowedPrivateTargets: [],
    retryScheduleMs: [5000, 60000, 300000, 1800000, 7200000, 21600000],
    logLevel: 'info',
    workerMaxInFlight: 2000,
    endpointMaxInFlight: 100,
  });
  expect(config.secretsKey).toEqual(Buffer.from(KEY_HEX, 'hex'));
});

test('every variable', () => {
  const config = loadConfig(
    {
      ...base,
      DATABASE_URL: 'postgres://u:p@db.internal:5432/leads',
      PORT: '8080',
      SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      ALLOWED_PRIVATE_TARGETS: '127.0.0.1, ::1,10.0.0.0/8,receiver.local,[fe80::1]',
      RETRY_SCHEDULE: '500ms,1s,1.5s,5m,2h',
      LOG_LEVEL: 'DEBUG',
      DATA_DIR: '/var/lib/ld',
      WORKER_MAX_IN_FLIGHT: '5000',
      ENDPOINT_MAX_IN_FLIGHT: '20',
    },
    quiet,
  );
  expect(config).toMatchObject({
    databaseUrl: 'postgres://u:p@db.internal:5432/leads',
    port: 8080,
    dataDir: '/var/lib/ld',
    retryScheduleMs: [500, 1000, 1500, 300000, 7200000],
    logLevel: 'debug',
    workerMaxInFlight: 5000,
    endpointMaxInFlight: 20,
  });
  expect(config.secretsKey).toEqual(Buffer.alloc(32, 7));
  expect(config.allowedPrivateTargets).toEqual([
    { kind: 'cidr', text: '127.0.0.1', address: '127.0.0.1', prefixLength: 32 },
    { kind: 'cidr', text: '::1', address: '::1', prefixLength: 128 },
    { kind: 'cidr', text: '10.0.0.0/8', address: '10.0.0.0', prefixLength: 8 },
    { kind: 'host', host: 'receiver.local' },
    { kind: 'cidr', text: 'fe80::1', address: 'fe80::1', prefixLength: 128 },
  ]);
});

test.each([
  [{ PORT: 'eighty' }, 'PORT'],
  [{ PORT: '70000' }, 'PORT'],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
  [{ SECRETS_KEY: 'too-short' }, 'SECRETS_KEY'],
  [{ ALLOWED_PRIVATE_TARGETS: '10.0.0.0/99' }, 'ALLOWED_PRIVATE_TARGETS'],
  [{ ALLOWED_PRIVATE_TARGETS: 'bad host!' }, 'ALLOWED_PRIVATE_TARGETS'],
  [{ RETRY_SCHEDULE: '5s,,1m' }, 'RETRY_SCHEDULE'],
  [{ RETRY_SCHEDULE: '5 minutes' }, 'RETRY_SCHEDULE'],
  [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  [{ WORKER_MAX_IN_FLIGHT: '0' }, 'WORKER_MAX_IN_FLIGHT'],
  [{ ENDPOINT_MAX_IN_FLIGHT: '0' }, 'ENDPOINT_MAX_IN_FLIGHT'],
  [{ WORKER_MAX_IN_FLIGHT: '1.5' }, 'WORKER_MAX_IN_FLIGHT'],
  [{ PROVIDER_API_KEY: 'short' }, 'PROVIDER_API_KEY'],
])('%j is refused naming %s', (env, name) => {
  const found = configProblems({ ...base, ...env });
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(new RegExp(`^${name} `));
});

test('all problems are reported together', () => {
  const found = configProblems({ ...base, PORT: 'x', LOG_LEVEL: 'y' });
  expect(found.map((p) => p.split(' ')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT']);
  expect(() => loadConfig({ ...base, PORT: 'x' }, quiet)).toThrow(
    /Invalid configuration:\n {2}- PORT/,
  );
});

test('unset keys are generated once into the data folder, then reused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ld-config-'));
  const notices: string[] = [];
  const first = loadConfig({ DATA_DIR: dir }, { notice: (m) => notices.push(m) });
  expect(first.providerApiKeySource).toBe('generated');
  expect(first.secretsKeySource).toBe('generated');
  expect(first.providerApiKey).toMatch(/^ld_pk_/);
  expect(first.secretsKey).toHaveLength(32);
  expect(notices.join('\n')).toContain(first.providerApiKey);
  expect(readFileSync(path.join(dir, 'provider-key'), 'utf8').trim()).toBe(first.providerApiKey);
  expect(statSync(path.join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);

  const second = loadConfig({ DATA_DIR: dir }, { notice: () => {} });
  expect(second.providerApiKeySource).toBe('file');
  expect(second.providerApiKey).toBe(first.providerApiKey);
  expect(second.secretsKey).toEqual(first.secretsKey);
});

test('parseRetrySchedule', () => {
  expect(parseRetrySchedule('1s,2s,5s')).toEqual([1000, 2000, 5000]);
  expect(parseRetrySchedule('500ms')).toEqual([500]);
  expect(parseRetrySchedule('5m, 2h')).toEqual([300000, 7200000]);
  expect(() => parseRetrySchedule('0s')).toThrow();
  expect(() => parseRetrySchedule('')).toThrow();
});

test('isAllowedPrivateTarget matches host names, addresses and ranges', () => {
  const targets = parseAllowedTargets('127.0.0.1,::1,10.0.0.0/8,receiver.local');
  expect(isAllowedPrivateTarget(targets, 'receiver.local')).toBe(true);
  expect(isAllowedPrivateTarget(targets, 'RECEIVER.local.')).toBe(true);
  expect(isAllowedPrivateTarget(targets, 'other.local', '192.168.1.1')).toBe(false);
  expect(isAllowedPrivateTarget(targets, 'localhost', '127.0.0.1')).toBe(true);
  expect(isAllowedPrivateTarget(targets, '[::1]')).toBe(true);
  expect(isAllowedPrivateTarget(targets, 'x', '10.20.30.40')).toBe(true);
  expect(isAllowedPrivateTarget(targets, 'x', '::ffff:10.1.1.1')).toBe(true);
  expect(isAllowedPrivateTarget(targets, 'x', '11.0.0.1')).toBe(false);
  expect(isAllowedPrivateTarget([], 'localhost', '127.0.0.1')).toBe(false);
});
