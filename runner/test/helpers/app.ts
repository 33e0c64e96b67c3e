/** A test runner API: its own schema and pg-boss schema, a fake delivery service, helpers. */
import pino from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/api/app.js';
import type { AppDeps, DeliveryService, TestResult } from '../../src/api/deps.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { DeliveryQueue } from '../../src/queue.js';
import { createEndpointUrlGuard } from '../../src/security/ssrfGuard.js';
import type { Endpoint } from '../../src/store/endpoints.js';
import { createTestDb, createTestQueue, type TestDb } from './db.js';
import { testResolver } from './dns.js';

export const PROVIDER_KEY = 'test-provider-key-0123456789abcdef';
export const SECRETS_KEY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig(
    {
      PROVIDER_API_KEY: PROVIDER_KEY,
      SECRETS_KEY: SECRETS_KEY_HEX,
      RETRY_SCHEDULE: '1s,2s',
      LOG_LEVEL: 'silent',
      DATA_DIR: '/nonexistent-test-data-dir',
      // Tests deliver to local receivers; R9 refuses these without the allow-list.
      ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1',
      ...env,
    },
    { notice: () => {} },
  );
}

export class FakeDelivery implements DeliveryService {
  calls: Endpoint[] = [];
  result: TestResult = {
    success: true,
    httpStatus: 200,
    durationMs: 12,
    error: null,
    responseExcerpt: 'ok',
    payload: '{"messageType":"new_lead"}',
  };

  async sendTest(endpoint: Endpoint): Promise<TestResult> {
    this.calls.push(endpoint);
    return this.result;
  }
}

export interface TestApp {
  app: Express;
  testDb: TestDb;
  queue: DeliveryQueue;
  config: Config;
  delivery: FakeDelivery;
  /** supertest with the provider key. */
  provider: { post(path: string, body: object): request.Test };
  createSeller(name?: string): Promise<{ id: string; apiKey: string }>;
  createLeadOrder(sellerId: string, name?: string): Promise<string>;
  /** supertest with a seller key. */
  as(apiKey: string): {
    get(path: string): request.Test;
    post(path: string, body?: object): request.Test;
    patch(path: string, body: object): request.Test;
    delete(path: string): request.Test;
  };
  close(): Promise<void>;
}

export async function createTestApp(overrides: Partial<AppDeps> = {}): Promise<TestApp> {
  const testDb = await createTestDb();
  const queue = await createTestQueue(testDb);
  const config = testConfig();
  const delivery = new FakeDelivery();
  const app = createApp({
    db: testDb.db,
    queue,
    config,
    logger: pino({ level: 'silent' }),
    delivery,
    // The real R9 guard with a test resolver: example domains are public, no network DNS needed.
    validateEndpointUrl: createEndpointUrlGuard({ resolve: testResolver() }),
    ...overrides,
  });
  const bearer = (key: string) => `Bearer ${key}`;
  const provider = {
    post: (path: string, body: object) =>
      request(app).post(path).set('Authorization', bearer(PROVIDER_KEY)).send(body),
  };
  return {
    app,
    testDb,
    queue,
    config,
    delivery,
    provider,
    async createSeller(name = 'Acme Staffing') {
      const res = await provider.post('/v1/sellers', { name }).expect(201);
      return { id: res.body.id as string, apiKey: res.body.apiKey as string };
    },
    async createLeadOrder(sellerId, name = 'Background Checks') {
      const res = await provider.post('/v1/lead-orders', { sellerId, name }).expect(201);
      return res.body.id as string;
    },
    as(apiKey) {
      return {
        get: (path) => request(app).get(path).set('Authorization', bearer(apiKey)),
        post: (path, body) => {
          const req = request(app).post(path).set('Authorization', bearer(apiKey));
          return body ? req.send(body) : req;
        },
        patch: (path, body) =>
          request(app).patch(path).set('Authorization', bearer(apiKey)).send(body),
        delete: (path) => request(app).delete(path).set('Authorization', bearer(apiKey)),
      };
    },
    async close() {
      await queue.stop({ graceful: false, timeoutMs: 5000 });
      await testDb.drop();
    },
  };
}

/** The JSON error shape every failure must have. */
export function expectErrorShape(body: unknown, code?: string): void {
  expect(body).toEqual({
    error: {
      code: code ?? expect.any(String),
      message: expect.any(String),
      details: expect.any(Array),
    },
  });
}
