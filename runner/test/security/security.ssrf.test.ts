/**
 * R9 SSRF guard, at save time: every spelling of a non-public address is refused with a 400 on
 * `url` naming the address and what it is; names must resolve, and to public addresses only;
 * ALLOWED_PRIVATE_TARGETS (host names, addresses, CIDR ranges) is the only way around it.
 */
import { classifyAddress } from '../../src/security/addressPolicy.js';
import { createEndpointUrlGuard } from '../../src/security/ssrfGuard.js';
import { createTestApp, expectErrorShape, testConfig, type TestApp } from '../helpers/app.js';
import { PUBLIC_TEST_ADDRESS, testResolver } from '../helpers/dns.js';

const resolver = testResolver({
  'internal.test': ['10.0.0.5'],
  'mixed.test': [PUBLIC_TEST_ADDRESS, '127.0.0.1'],
  'v6only.test': ['fd12:3456::1'],
  '127.0.0.1.nip.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:192.168.1.10'],
  'public6.test': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'receiver.internal': ['10.1.2.3'],
  localhost: ['127.0.0.1', '::1'],
});

let t: TestApp;
let seller: { id: string; apiKey: string };

beforeAll(async () => {
  // No allow-list here: the runner as deployed.
  t = await createTestApp({
    config: testConfig({ ALLOWED_PRIVATE_TARGETS: '' }),
    validateEndpointUrl: createEndpointUrlGuard({ resolve: resolver }),
  });
  seller = await t.createSeller('SSRF seller');
});
afterAll(() => t.close());

async function refusedAtSave(url: string): Promise<string> {
  const res = await t.as(seller.apiKey).post('/v1/endpoints', { name: 'Probe', url });
  expect(res.status).toBe(400);
  expectErrorShape(res.body, 'validation_failed');
  const details = res.body.error.details as Array<{ path: string; message: string }>;
  expect(details.map((d) => d.path)).toEqual(['url']);
  return details[0].message;
}

const MUST = 'endpoint URLs must be publicly reachable';

describe('R9 bypass spellings are refused at save (400 on url)', () => {
  test.each([
    // IPv4 spellings WHATWG URL normalises to 127.0.0.1 / 10.0.0.1
    ['http://127.0.0.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://2130706433/', 'points to 127.0.0.1, a loopback address'],
    ['http://0177.0.0.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://00000177.0.0.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://0x7f.0.0.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://0x7f000001/', 'points to 127.0.0.1, a loopback address'],
    ['http://017700000001/', 'points to 127.0.0.1, a loopback address'],
    ['http://127.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://0x7f.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://0177.0.0x1/', 'points to 127.0.0.1, a loopback address'],
    ['http://127.000.000.001/', 'points to 127.0.0.1, a loopback address'],
    ['http://127.0.0.1./hook', 'points to 127.0.0.1, a loopback address'],
    ['http://１２７.０.０.１/', 'points to 127.0.0.1, a loopback address'],
    ['http://127.0.0.\t1/', 'points to 127.0.0.1, a loopback address'],
    ['  HTTP://127.0.0.1:8080/X  ', 'points to 127.0.0.1, a loopback address'],
    ['https://127.0.0.1:443/', 'points to 127.0.0.1, a loopback address'],
    ['http://example.com@127.0.0.1/', 'points to 127.0.0.1, a loopback address'],
    ['http://10.1/', 'points to 10.0.0.1, a private address'],
    ['http://10.0.0.5/', 'points to 10.0.0.5, a private address'],
    ['http://172.16.5.4/', 'points to 172.16.5.4, a private address'],
    ['http://192.168.0.1/', 'points to 192.168.0.1, a private address'],
    ['http://100.64.0.1/', 'points to 100.64.0.1, a carrier-grade NAT (100.64.0.0/10) address'],
    ['http://169.254.10.10/', 'points to 169.254.10.10, a link-local address'],
    ['http://169.254.169.254/latest/meta-data/', 'points to 169.254.169.254, a cloud metadata'],
    ['http://0.0.0.0/', 'points to 0.0.0.0, an unspecified (0.0.0.0/8) address'],
    ['http://0/', 'points to 0.0.0.0, an unspecified'],
    ['http://0.1.2.3/', 'points to 0.1.2.3, an unspecified (0.0.0.0/8) address'],
    ['http://224.0.0.1/', 'points to 224.0.0.1, a multicast address'],
    ['http://255.255.255.255/', 'points to 255.255.255.255, the broadcast address'],
    ['http://240.0.0.1/', 'points to 240.0.0.1, a reserved address'],
    ['http://198.18.0.1/', 'points to 198.18.0.1, a benchmarking (198.18.0.0/15) address'],
    // names
    ['http://localhost/', '"localhost" is a loopback host name'],
    ['http://localhost./', '"localhost" is a loopback host name'],
    ['HTTP://LOCALHOST:3000/', '"localhost" is a loopback host name'],
    ['http://api.localhost/', '"api.localhost" is a loopback host name'],
    ['http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/', '"localhost" is a loopback host name'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'a cloud metadata host name'],
    ['http://internal.test/hook', '"internal.test" resolves to 10.0.0.5, a private address'],
    ['http://INTERNAL.test./hook', '"internal.test" resolves to 10.0.0.5, a private address'],
    ['http://mixed.test/', '"mixed.test" resolves to 127.0.0.1, a loopback address'],
    ['http://127.0.0.1.nip.test/', 'resolves to 127.0.0.1, a loopback address'],
    ['http://metadata.test/', 'resolves to 169.254.169.254, a cloud metadata address'],
    ['http://v6only.test/', 'resolves to fd12:3456::1, a unique-local (private) address'],
    ['http://mapped.test/', 'resolves to ::ffff:c0a8:10a (IPv4 192.168.1.10), a private address'],
    // IPv6 literals
    ['http://[::1]/', 'points to ::1, a loopback address'],
    ['http://[0:0:0:0:0:0:0:1]:8080/', 'points to ::1, a loopback address'],
    ['http://[::]/', 'points to ::, an unspecified address'],
    ['http://[::ffff:7f00:1]/', 'points to ::ffff:7f00:1 (IPv4 127.0.0.1), a loopback address'],
    ['http://[::ffff:127.0.0.1]/', 'points to ::ffff:7f00:1 (IPv4 127.0.0.1), a loopback'],
    ['http://[0:0:0:0:0:ffff:a00:5]/', '(IPv4 10.0.0.5), a private address'],
    ['http://[::ffff:169.254.169.254]/', '(IPv4 169.254.169.254), a cloud metadata address'],
    ['http://[::ffff:0:a00:5]/', '(IPv4 10.0.0.5), a private address'],
    ['http://[64:ff9b::a00:5]/', 'points to 64:ff9b::a00:5 (IPv4 10.0.0.5), a private address'],
    ['http://[64:ff9b:1::1]/', 'a local-use NAT64 address'],
    ['http://[2002:c0a8:101::1]/', '(IPv4 192.168.1.1), a private address'],
    ['http://[2002:7f00:1::]/', '(IPv4 127.0.0.1), a loopback address'],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', '(IPv4 127.0.0.1), a loopback address'],
    ['http://[::127.0.0.1]/', 'points to ::7f00:1, a reserved (not globally routed) address'],
    ['http://[fe80::1]/', 'points to fe80::1, a link-local address'],
    ['http://[fc00::1]/', 'points to fc00::1, a unique-local (private) address'],
    ['http://[fd00:ec2::254]/', 'points to fd00:ec2::254, a cloud metadata address'],
    ['http://[fec0::1]/', 'a site-local (private) address'],
    ['http://[ff02::1]/', 'points to ff02::1, a multicast address'],
    ['http://[2001:db8::1]/', 'points to 2001:db8::1, a reserved (documentation) address'],
    ['http://[100::1]/', 'a discard-only address'],
  ])('%j is refused: %s', async (url, expected) => {
    const message = await refusedAtSave(url);
    expect(message).toContain(expected);
    expect(message).toContain(MUST);
  });

  test('a PATCH to a private URL is refused the same way, and the endpoint keeps its URL', async () => {
    const created = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'Public', url: 'https://hooks.example.com/in' })
      .expect(201);
    const res = await t
      .as(seller.apiKey)
      .patch(`/v1/endpoints/${created.body.id}`, { url: 'http://[::ffff:10.0.0.1]/' })
      .expect(400);
    expect(res.body.error.details).toEqual([
      { path: 'url', message: expect.stringContaining('(IPv4 10.0.0.1), a private address') },
    ]);
    const got = await t.as(seller.apiKey).get(`/v1/endpoints/${created.body.id}`).expect(200);
    expect(got.body.url).toBe('https://hooks.example.com/in');
  });

  test('a host that does not resolve is refused too', async () => {
    expect(await refusedAtSave('https://nope.invalid/hook')).toBe(
      `host "nope.invalid" does not resolve (ENOTFOUND); ${MUST}`,
    );
  });

  test('a resolver that never answers is given up on (save-time timeout)', async () => {
    const guard = createEndpointUrlGuard({
      resolve: () => new Promise(() => {}),
      resolveTimeoutMs: 50,
    });
    expect(await guard('https://slow.test/', testConfig({ ALLOWED_PRIVATE_TARGETS: '' }))).toBe(
      `host "slow.test" does not resolve (ETIMEOUT); ${MUST}`,
    );
  });

  test('public hosts and addresses, v4 and v6, are accepted', async () => {
    for (const url of [
      'https://crm.example.com/hooks/leads',
      `http://${PUBLIC_TEST_ADDRESS}:8080/x`,
      'http://public6.test/',
      'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/x',
      'https://[::ffff:93.184.215.14]/x',
      'https://[64:ff9b::5db8:d70e]/x',
      'https://[2002:5db8:d70e::1]/x',
    ]) {
      const res = await t.as(seller.apiKey).post('/v1/endpoints', { name: 'Public', url });
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
    }
  });
});

describe('R9 ALLOWED_PRIVATE_TARGETS is the only way around the guard', () => {
  const guard = createEndpointUrlGuard({ resolve: resolver });
  const check = (allowed: string, url: string) =>
    guard(url, testConfig({ ALLOWED_PRIVATE_TARGETS: allowed }));

  test('an address allows exactly that address, in any spelling', async () => {
    expect(await check('127.0.0.1', 'http://127.0.0.1:4000/leads')).toBeNull();
    expect(await check('127.0.0.1', 'http://2130706433:4000/leads')).toBeNull();
    expect(await check('127.0.0.1', 'http://[::ffff:127.0.0.1]/')).toBeNull();
    expect(await check('127.0.0.1', 'http://127.0.0.2/')).toContain('a loopback address');
    expect(await check('127.0.0.1', 'http://[::1]/')).toContain('a loopback address');
  });

  test('IPv6 entries allow IPv6 literals', async () => {
    expect(await check('::1', 'http://[::1]:4000/leads')).toBeNull();
    expect(await check('::1', 'http://[0:0:0:0:0:0:0:1]/')).toBeNull();
    expect(await check('fd12::/16', 'http://v6only.test/')).toBeNull();
    expect(await check('::1', 'http://127.0.0.1/')).toContain('a loopback address');
  });

  test('a CIDR range allows literals and names resolving inside it, nothing else', async () => {
    expect(await check('10.0.0.0/8', 'http://10.20.30.40/')).toBeNull();
    expect(await check('10.0.0.0/8', 'http://internal.test/')).toBeNull();
    expect(await check('10.0.0.0/8', 'http://192.168.0.1/')).toContain('a private address');
    expect(await check('10.0.0.0/8', 'http://mixed.test/')).toContain('a loopback address');
    expect(await check('192.168.0.0/16', 'http://mapped.test/')).toBeNull();
  });

  test('a host name allows that name (whatever it resolves to), not its subdomains', async () => {
    expect(await check('receiver.internal', 'http://receiver.internal:4000/hook')).toBeNull();
    expect(await check('receiver.internal', 'http://RECEIVER.internal./hook')).toBeNull();
    expect(await check('receiver.internal', 'http://internal.test/')).toContain(
      'a private address',
    );
    expect(await check('localhost', 'http://localhost:4000/')).toBeNull();
    expect(await check('localhost', 'http://api.localhost/')).toContain('a loopback host name');
  });

  test('localhost passes only when every address it resolves to is allowed', async () => {
    expect(await check('127.0.0.1,::1', 'http://localhost:4000/leads')).toBeNull();
    expect(await check('127.0.0.1', 'http://localhost:4000/leads')).toContain(
      '"localhost" is a loopback host name',
    );
    expect(await check('127.0.0.1,::1', 'http://api.localhost/')).toContain(
      '"api.localhost" is a loopback host name',
    );
    expect(await check('169.254.0.0/16', 'http://metadata.google.internal/')).toContain(
      'a cloud metadata host name',
    );
  });

  test('the allow-list does not excuse the other URL rules', async () => {
    expect(await check('127.0.0.1', 'ftp://127.0.0.1/')).toContain('must use http or https');
    expect(await check('127.0.0.1', 'http://user:pw@127.0.0.1/')).toContain(
      'must not contain a user name or password',
    );
  });

  test('the quick start setting lets the API save a local receiver', async () => {
    const local = await createTestApp({
      config: testConfig({ ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1' }),
    });
    try {
      const owner = await local.createSeller();
      await local
        .as(owner.apiKey)
        .post('/v1/endpoints', { name: 'Local', url: 'http://127.0.0.1:4000/leads' })
        .expect(201);
      await local
        .as(owner.apiKey)
        .post('/v1/endpoints', { name: 'Local v6', url: 'http://[::1]:4000/leads' })
        .expect(201);
      await local
        .as(owner.apiKey)
        .post('/v1/endpoints', { name: 'LAN', url: 'http://192.168.1.20/' })
        .expect(400);
    } finally {
      await local.close();
    }
  });
});

describe('R9 address classification (ipaddr.js, default deny)', () => {
  test.each([
    ['8.8.8.8', true],
    ['93.184.215.14', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['192.0.2.1', false],
    ['198.51.100.7', false],
    ['203.0.113.9', false],
    ['192.0.0.8', false],
    ['4000::1', false],
    ['2001:2::1', false],
    ['5f00::1', false],
    ['fe80::1%eth0', false],
    ['not-an-ip', false],
  ])('%s public: %p', (address, isPublic) => {
    expect(classifyAddress(address).public).toBe(isPublic);
  });
});
