/** R5: Standard Webhooks signatures, interoperable with the reference library, with rotation. */
import { Webhook } from 'standardwebhooks';
import { generateSigningSecret, signatureHeaders, verifySignature } from '../../core/signing.js';

const body = '{"messageType":"new_lead","firstName":"Jane"}';
const timestamp = new Date('2026-04-22T19:45:00Z');
const now = new Date('2026-04-22T19:46:00Z');
const id = 'msg_2Ab3';

describe('R5 signing secrets', () => {
  test('whsec_ + base64 of 24 random bytes, different every time', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(secret);
  });
});

describe('R5 signatureHeaders', () => {
  test('id, unix-seconds timestamp and v1 signature equal to the library Webhook.sign', () => {
    const secret = generateSigningSecret();
    const headers = signatureHeaders({ id, timestamp, body, secrets: [secret] });
    expect(headers).toEqual({
      'webhook-id': id,
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
    });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  test('equal to the library for many secrets, ids, times and bodies (strings and Buffers)', () => {
    const bodies = ['', '{}', body, '{"name":"Zoë 😀 \\u0000 <x>"}', 'x'.repeat(70_000)];
    for (let i = 0; i < 40; i++) {
      const secret =
        i % 3 === 0 ? generateSigningSecret().slice('whsec_'.length) : generateSigningSecret();
      const when = new Date(1_700_000_000_000 + i * 987_654_321);
      const text = bodies[i % bodies.length];
      const expected = new Webhook(secret).sign(`msg_${i}`, when, text);
      for (const given of [text, Buffer.from(text)]) {
        const headers = signatureHeaders({
          id: `msg_${i}`,
          timestamp: when,
          body: given,
          secrets: [secret],
        });
        expect(headers['webhook-signature']).toBe(expected);
      }
    }
  });

  test('padding variants the library takes give its signature; what it refuses is refused', () => {
    for (const lenient of ['whsec_YWJj=', 'whsec_YWI=', 'whsec_YW==', 'whsec_YWJjZA', 'YWJjZA==']) {
      expect(
        signatureHeaders({ id, timestamp, body, secrets: [lenient] })['webhook-signature'],
      ).toBe(new Webhook(lenient).sign(id, timestamp, body));
    }
    for (const bad of ['whsec_', '', 'whsec_not base64!', 'whsec_-_-_', 'whsec_===']) {
      expect(() => new Webhook(bad).sign(id, timestamp, body)).toThrow();
      expect(() => signatureHeaders({ id, timestamp, body, secrets: [bad] })).toThrow(
        /Invalid signing secret/,
      );
    }
  });

  test('our headers verify with the library (as a receiver would)', () => {
    const secret = generateSigningSecret();
    const headers = signatureHeaders({ id, timestamp: new Date(), body, secrets: [secret] });
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  test('rotation: two secrets give two space-separated signatures; either verifies', () => {
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const headers = signatureHeaders({ id, timestamp, body, secrets: [newSecret, oldSecret] });
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures[0]).not.toBe(signatures[1]);
    for (const secret of [oldSecret, newSecret]) {
      expect(verifySignature({ body, headers, secrets: [secret], now })).toEqual({ ok: true });
    }
    expect(verifySignature({ body, headers, secrets: [generateSigningSecret()], now })).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
  });

  test('refuses to sign without a secret or with a malformed one', () => {
    expect(() => signatureHeaders({ id, timestamp, body, secrets: [] })).toThrow(/at least one/);
    expect(() => signatureHeaders({ id, timestamp, body, secrets: ['whsec_'] })).toThrow(
      /Invalid signing secret/,
    );
  });
});

describe('R5 verifySignature', () => {
  const secret = generateSigningSecret();
  const signed = signatureHeaders({ id, timestamp, body, secrets: [secret] });

  test('a library-made signature verifies with ours', () => {
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
    };
    expect(verifySignature({ body, headers, secrets: [secret], now })).toEqual({ ok: true });
  });

  test('matches any of several secrets and any listed signature (unknown versions ignored)', () => {
    const headers = {
      ...signed,
      'webhook-signature': `v2,zzz v1,bm9wZQ== ${signed['webhook-signature']}`,
    };
    const secrets = [generateSigningSecret(), 'not base64 at all!', secret];
    expect(verifySignature({ body, headers, secrets, now })).toEqual({ ok: true });
  });

  test('accepts Node IncomingHttpHeaders shapes: any case, string[] values, Buffer body', () => {
    const headers = {
      'Webhook-Id': [id],
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'webhook-signature': ['v1,bm9wZQ==', signed['webhook-signature']],
    };
    expect(verifySignature({ body: Buffer.from(body), headers, secrets: [secret], now })).toEqual({
      ok: true,
    });
  });

  test('tampered body, id or timestamp is refused', () => {
    const result = (over: Partial<{ body: string; id: string; ts: string }>) =>
      verifySignature({
        body: over.body ?? body,
        headers: {
          ...signed,
          'webhook-id': over.id ?? id,
          'webhook-timestamp': over.ts ?? signed['webhook-timestamp'],
        },
        secrets: [secret],
        now,
      });
    expect(result({ body: body.replace('Jane', 'Joan') })).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
    expect(result({ id: 'msg_other' })).toEqual({ ok: false, reason: 'no matching signature' });
    expect(result({ ts: String(timestamp.getTime() / 1000 + 1) })).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
  });

  test('stale and future timestamps beyond the tolerance are refused', () => {
    const check = (at: Date, toleranceSeconds?: number) =>
      verifySignature({ body, headers: signed, secrets: [secret], now: at, toleranceSeconds });
    expect(check(new Date(timestamp.getTime() + 300_000))).toEqual({ ok: true });
    expect(check(new Date(timestamp.getTime() + 301_000))).toEqual({
      ok: false,
      reason: 'message timestamp too old',
    });
    expect(check(new Date(timestamp.getTime() - 301_000))).toEqual({
      ok: false,
      reason: 'message timestamp too new',
    });
    expect(check(new Date(timestamp.getTime() + 3_600_000), 7200)).toEqual({ ok: true });
  });

  test('missing or malformed headers are refused with the header named', () => {
    const without = (name: string) => {
      const headers: Record<string, string> = { ...signed };
      delete headers[name];
      return verifySignature({ body, headers, secrets: [secret], now });
    };
    expect(without('webhook-id')).toEqual({ ok: false, reason: 'missing webhook-id header' });
    expect(without('webhook-timestamp')).toEqual({
      ok: false,
      reason: 'missing webhook-timestamp header',
    });
    expect(without('webhook-signature')).toEqual({
      ok: false,
      reason: 'missing webhook-signature header',
    });
    expect(
      verifySignature({
        body,
        headers: { ...signed, 'webhook-timestamp': '17e8' },
        secrets: [secret],
        now,
      }),
    ).toEqual({ ok: false, reason: 'invalid webhook-timestamp header' });
    expect(verifySignature({ body, headers: signed, secrets: [], now })).toEqual({
      ok: false,
      reason: 'no signing secret configured',
    });
    expect(verifySignature({ body, headers: signed, secrets: ['whsec_'], now })).toEqual({
      ok: false,
      reason: 'invalid signing secret',
    });
  });
});
