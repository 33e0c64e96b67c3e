/**
 * The delivery settings of the environment: schemas for shared servers, the circuit breaker, and
 * what the runtime gives n8n-core (its user folder and an encryption key).
 */
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config.js';
import { parseDuration } from '../../src/settings.js';
import { n8nEncryptionKey, prepareN8nEnvironment } from '../../src/engine/n8nEnvironment.js';

const quiet = { notice: () => {} };
const base = { PROVIDER_API_KEY: 'provider-key-0123456789', SECRETS_KEY: 'cd'.repeat(32) };

test('defaults: no schemas, breaker after 10 failures with a 30 s cool-down', () => {
  expect(loadConfig(base, quiet)).toMatchObject({
    databaseSchema: undefined,
    bossSchema: undefined,
    circuitBreakerThreshold: 10,
    circuitBreakerCooldownMs: 30_000,
  });
});

test('schemas and breaker settings are read and checked, each problem naming its variable', () => {
  expect(
    loadConfig(
      {
        ...base,
        DATABASE_SCHEMA: 'tenant_a',
        PGBOSS_SCHEMA: 'tenant_a_boss',
        CIRCUIT_BREAKER_THRESHOLD: '0',
        CIRCUIT_BREAKER_COOLDOWN: '2m',
      },
      quiet,
    ),
  ).toMatchObject({
    databaseSchema: 'tenant_a',
    bossSchema: 'tenant_a_boss',
    circuitBreakerThreshold: 0,
    circuitBreakerCooldownMs: 120_000,
  });
  const found = configProblems({
    ...base,
    DATABASE_SCHEMA: 'Tenant-A',
    PGBOSS_SCHEMA: '1boss',
    CIRCUIT_BREAKER_THRESHOLD: '-1',
    CIRCUIT_BREAKER_COOLDOWN: '1s,2s',
  });
  expect(found.map((p) => p.split(' ')[0]).sort()).toEqual([
    'CIRCUIT_BREAKER_COOLDOWN',
    'CIRCUIT_BREAKER_THRESHOLD',
    'DATABASE_SCHEMA',
    'PGBOSS_SCHEMA',
  ]);
  expect(() => parseDuration('soon')).toThrow('is not a duration');
});

test('n8n-core gets a user folder and a key derived from SECRETS_KEY, unless they are set', () => {
  const config = loadConfig({ ...base, DATA_DIR: '/srv/ld' }, quiet);
  const env: NodeJS.ProcessEnv = {};
  prepareN8nEnvironment(config, env);
  expect(env.N8N_USER_FOLDER).toBe('/srv/ld');
  expect(env.N8N_ENCRYPTION_KEY).toBe(n8nEncryptionKey(config.secretsKey));
  // The same on every worker with the same SECRETS_KEY, different with another.
  expect(n8nEncryptionKey(Buffer.alloc(32, 1))).not.toBe(env.N8N_ENCRYPTION_KEY);
  const preset: NodeJS.ProcessEnv = { N8N_USER_FOLDER: '/x', N8N_ENCRYPTION_KEY: 'mine' };
  prepareN8nEnvironment(config, preset);
  expect(preset).toEqual({ N8N_USER_FOLDER: '/x', N8N_ENCRYPTION_KEY: 'mine' });
});
