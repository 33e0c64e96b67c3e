/**
 * The runner's side of the /delivery page, without a browser: one shell for every page route,
 * the compiled assets under a content-hashed path with their content types and immutable
 * caching, the security headers, a clear 503 when the page is not built, and a front end that
 * shares core's formatter instead of carrying its own and never writes HTML from strings.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { deliveryPage, loadPageAssets, type PageAssets } from '../../src/page/router';
import { createTestApp, type TestApp } from '../helpers/app';
import { buildPage } from './helpers';

let assetsDir: string;
let assets: PageAssets;
let t: TestApp;

beforeAll(async () => {
  assetsDir = buildPage();
  assets = loadPageAssets(assetsDir)!;
  t = await createTestApp({ mount: deliveryPage({ assetsDir }) });
});

afterAll(async () => {
  await t?.close();
  rmSync(assetsDir, { recursive: true, force: true });
});

function expectSecurityHeaders(res: request.Response): void {
  const csp = res.headers['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
}

test('GET /delivery and every page route answer the HTML shell, never cached stale', async () => {
  for (const path of [
    '/delivery',
    '/delivery/',
    '/delivery/webhooks/ep_1',
    '/delivery/webhooks/ep_1/history',
  ]) {
    const res = await request(t.app).get(path).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(res);
    expect(res.text).toContain('<title>Notifications &amp; Integrations</title>');
    expect(res.text).toContain(
      `<script type="module" src="/delivery/assets/${assets.version}/runner/page/main.js"></script>`,
    );
    // No inline script or style: the CSP allows none.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style|\sstyle=/);
  }
  // The API around it is unchanged: still JSON, still 401 without a key.
  await request(t.app).get('/v1/endpoints').expect(401);
  const missing = await request(t.app).post('/delivery').expect(404);
  expect(missing.body.error.code).toBe('not_found');
});

test('assets: content types, immutable caching under the content hash, 404 otherwise', async () => {
  const base = `/delivery/assets/${assets.version}`;
  const js = await request(t.app).get(`${base}/runner/page/main.js`).expect(200);
  expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expectSecurityHeaders(js);
  const css = await request(t.app).get(`${base}/styles.css`).expect(200);
  expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  const core = await request(t.app).get(`${base}/core/formats/json.js`).expect(200);
  expect(core.text).toContain('export function buildJsonObject');
  const icon = await request(t.app).get(`${base}/favicon.svg`).expect(200);
  expect(icon.headers['content-type']).toBe('image/svg+xml');

  for (const path of [
    '/delivery/assets/0000000000000000/runner/page/main.js', // an old version
    `${base}/runner/page/nope.js`,
    `${base}/../../package.json`,
    `${base}/runner/page/main.ts`,
    '/delivery/assets',
    '/delivery/assets/x',
  ]) {
    const res = await request(t.app).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  }
});

test('the content hash is stable for the same build and changes with the content', () => {
  expect(loadPageAssets(assetsDir)!.version).toBe(assets.version);
  expect(assets.version).toMatch(/^[0-9a-f]{16}$/);
  const copy = mkdtempSync(join(tmpdir(), 'delivery-page-copy-'));
  try {
    cpSync(assetsDir, copy, { recursive: true });
    appendFileSync(join(copy, 'styles.css'), '\n/* changed */\n');
    expect(loadPageAssets(copy)!.version).not.toBe(assets.version);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('an unbuilt page answers 503 with what to do', async () => {
  const app = await createTestApp({
    mount: deliveryPage({ assetsDir: '/nonexistent-page-build' }),
  });
  try {
    const res = await request(app.app).get('/delivery').expect(503);
    expect(res.text).toContain('npm run build');
    expectSecurityHeaders(res);
  } finally {
    await app.close();
  }
});

test('the front end formats with core (no second formatter) and never parses strings as HTML', () => {
  const scripts = [...assets.files.keys()].filter((name) => name.endsWith('.js'));
  // The preview imports core's modules, compiled from the same sources the runner runs.
  expect(scripts).toEqual(
    expect.arrayContaining([
      'core/formats/index.js',
      'core/formats/json.js',
      'core/formats/xml.js',
      'core/formats/form.js',
      'core/formats/hubspot.js',
      'core/mapping.js',
      'core/catalogue.js',
    ]),
  );
  const mappings = readFileSync(join(assetsDir, 'runner/page/mappings.js'), 'utf8');
  expect(mappings).toContain("from '../../core/formats/index.js'");
  expect(mappings).toContain("from '../../core/mapping.js'");
  for (const name of scripts.filter((n) => n.startsWith('runner/page/'))) {
    const source = readFileSync(join(assetsDir, name), 'utf8');
    expect({
      name,
      html: /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(source),
    }).toEqual({
      name,
      html: false,
    });
  }
});
