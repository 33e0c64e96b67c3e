/**
 * R5 signing secret rotation: `POST /v1/endpoints/:id/secret/rotate` returns a new whsec_ secret
 * once; for 24 h deliveries carry two signatures, and a real receiver verifying with either the
 * old or the new secret (the standardwebhooks library, not our code) accepts the same request.
 * Rotating again within 24 h keeps only the newest previous secret; once the previous one has
 * expired, one signature again.
 */
import { Webhook } from 'standardwebhooks';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../../test/helpers/receiver';
import { generateSigningSecret } from '../../../core/signing';
import { createSecretBox } from '../../src/store/secretBox';
import { SECRETS_KEY_HEX } from '../helpers/app';
import { createTestDb, type TestDb } from '../helpers/db';
import { readJson, startTestRunner, type SellerCreated, type TestRunner } from '../helpers/runner';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let seller: SellerCreated;
let leadOrderId: string;
let endpointId: string;
let original: string;
const box = createSecretBox(Buffer.from(SECRETS_KEY_HEX, 'hex'));

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  receiver = await startReceiver('/hook');
  seller = await readJson<SellerCreated>(await runner.provider('/v1/sellers', { name: 'Rotator' }));
  leadOrderId = (
    await readJson<{ id: string }>(
      await runner.provider('/v1/lead-orders', { sellerId: seller.id, name: 'Orders' }),
    )
  ).id;
  const created = await readJson<{ id: string; signingSecret: string }>(
    await runner.seller(seller.apiKey, 'POST', '/v1/endpoints', {
      name: 'CRM',
      url: receiver.url,
    }),
  );
  endpointId = created.id;
  original = created.signingSecret;
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

async function rotate(id = endpointId, apiKey = seller.apiKey) {
  return runner.seller(apiKey, 'POST', `/v1/endpoints/${id}/secret/rotate`);
}

/** One lead delivered; the request the receiver got. */
async function deliverOne(): Promise<ReceivedRequest> {
  const count = receiver.requests.length;
  const response = await runner.provider('/v1/leads', {
    leadOrderId,
    lead: { email: `lead${count}@example.com` },
  });
  expect(response.status).toBe(202);
  const requests = await receiver.waitFor(count + 1);
  return requests[count];
}

function verifies(secret: string, request: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

function signatures(request: ReceivedRequest): string[] {
  return String(request.headers['webhook-signature']).split(' ');
}

async function storedSecrets() {
  const { rows } = await testDb.db.query<{
    signing_secret: string;
    previous_signing_secret: string | null;
    grace_seconds: number | null;
  }>(
    `SELECT signing_secret, previous_signing_secret,
        EXTRACT(EPOCH FROM previous_secret_expires_at - updated_at)::float8 AS grace_seconds
      FROM endpoints WHERE id = $1`,
    [endpointId],
  );
  const row = rows[0];
  return {
    current: box.open(row.signing_secret),
    previous: row.previous_signing_secret ? box.open(row.previous_signing_secret) : null,
    graceSeconds: row.grace_seconds,
  };
}

test('before any rotation: one signature, by the original secret', async () => {
  const request = await deliverOne();
  expect(signatures(request)).toHaveLength(1);
  expect(verifies(original, request)).toBe(true);
});

let rotated: string;

test('rotate returns a new whsec_ secret once, and keeps the old one for 24 h', async () => {
  const response = await rotate();
  expect(response.status).toBe(200);
  const body = await readJson<{ signingSecret: string; previousSecretExpiresAt: string }>(response);
  expect(Object.keys(body).sort()).toEqual(['previousSecretExpiresAt', 'signingSecret']);
  expect(body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
  expect(body.signingSecret).not.toBe(original);
  rotated = body.signingSecret;

  const stored = await storedSecrets();
  expect(stored).toEqual({ current: rotated, previous: original, graceSeconds: 86400 });
  const { rows } = await testDb.db.query<{ previous_secret_expires_at: Date }>(
    'SELECT previous_secret_expires_at FROM endpoints WHERE id = $1',
    [endpointId],
  );
  expect(body.previousSecretExpiresAt).toBe(rows[0].previous_secret_expires_at.toISOString());

  // Shown once: GET shows only the new prefix.
  const view = await readJson<Record<string, unknown>>(
    await runner.seller(seller.apiKey, 'GET', `/v1/endpoints/${endpointId}`),
  );
  expect(view.signingSecretPrefix).toBe(`${rotated.slice(0, 10)}…`);
  expect(JSON.stringify(view)).not.toContain(rotated);
});

test('during the 24 h: two signatures; the old and the new secret each verify the request', async () => {
  const request = await deliverOne();
  expect(signatures(request)).toHaveLength(2);
  expect(verifies(original, request)).toBe(true);
  expect(verifies(rotated, request)).toBe(true);
  expect(verifies(generateSigningSecret(), request)).toBe(false);
});

test('rotating again within 24 h keeps only the newest previous secret', async () => {
  const response = await rotate();
  const third = (await readJson<{ signingSecret: string }>(response)).signingSecret;
  expect(await storedSecrets()).toEqual({ current: third, previous: rotated, graceSeconds: 86400 });
  const request = await deliverOne();
  expect(signatures(request)).toHaveLength(2);
  expect(verifies(third, request)).toBe(true);
  expect(verifies(rotated, request)).toBe(true);
  expect(verifies(original, request)).toBe(false);
  rotated = third;
});

test('once the previous secret has expired: one signature, by the current secret', async () => {
  await testDb.db.query(
    "UPDATE endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
    [endpointId],
  );
  const request = await deliverOne();
  expect(signatures(request)).toHaveLength(1);
  expect(verifies(rotated, request)).toBe(true);
});

test('Send test signs like a delivery', async () => {
  const response = await rotate();
  const newest = (await readJson<{ signingSecret: string }>(response)).signingSecret;
  const count = receiver.requests.length;
  const tested = await runner.seller(seller.apiKey, 'POST', `/v1/endpoints/${endpointId}/test`);
  expect(await readJson(tested)).toMatchObject({ success: true });
  const [request] = (await receiver.waitFor(count + 1)).slice(count);
  expect(signatures(request)).toHaveLength(2);
  expect(verifies(newest, request)).toBe(true);
  expect(verifies(rotated, request)).toBe(true);
});

test('an unknown endpoint, or another seller’s, is 404 and rotates nothing', async () => {
  const before = await storedSecrets();
  const other = await readJson<SellerCreated>(
    await runner.provider('/v1/sellers', { name: 'Other' }),
  );
  for (const response of [await rotate('ep_unknown'), await rotate(endpointId, other.apiKey)]) {
    expect(response.status).toBe(404);
    expect(await readJson(response)).toMatchObject({ error: { code: 'not_found' } });
  }
  expect(await storedSecrets()).toEqual(before);
});
