/**
 * The /delivery page under test: the page built from its sources (runner/page/build.mjs into a
 * temporary folder, so a test never runs a stale build), a whole runner serving it
 * (startTestRunner with the page mounted), a local receiver, and Debian's Chromium driven by
 * playwright-core. Without /usr/bin/chromium the tests fail, saying how to install it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { deliveryPage } from '../../src/page/router';
import { createTestDb, type TestDb } from '../helpers/db';
import { readJson, startTestRunner, type SellerCreated, type TestRunner } from '../helpers/runner';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The /delivery page tests drive a real browser and need Chromium at ${CHROMIUM_PATH}. ` +
        'Install Debian\'s package: "apt-get update && apt-get install -y chromium" ' +
        '(.ci/run does this when it is missing), or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Builds the page from runner/page into a fresh temporary folder; returns the folder. */
export function buildPage(): string {
  const out = mkdtempSync(join(tmpdir(), 'delivery-page-'));
  const script = resolve(__dirname, '../../page/build.mjs');
  execFileSync(process.execPath, [script, '--out', out], { stdio: 'pipe' });
  return out;
}

/**
 * Screenshots go to LEAD_DELIVERY_SCREENSHOTS (`npm run screenshots` sets docs/screenshots);
 * otherwise to a temporary folder, so an ordinary test run leaves the repository alone.
 */
export function screenshotDir(): string {
  const dir = process.env.LEAD_DELIVERY_SCREENSHOTS
    ? resolve(process.env.LEAD_DELIVERY_SCREENSHOTS)
    : join(tmpdir(), 'delivery-page-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(
  page: Page,
  name: string,
  options: { scrollDialogToTop?: boolean; scrollTo?: Locator } = {},
): Promise<string> {
  // A clean picture: no hover effect from the last click, no stacked notifications.
  await page.mouse.move(0, 0);
  await page.evaluate('document.querySelectorAll(".toast").forEach((toast) => toast.remove())');
  if (options.scrollTo) {
    await options.scrollTo.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  }
  const path = join(screenshotDir(), `${name}.png`);
  // No focus ring in the picture; the focus is given back afterwards.
  await page.evaluate('(window.__focused = document.activeElement) && window.__focused.blur()');
  if (options.scrollDialogToTop) {
    await page.evaluate('document.querySelector("dialog .dialog-body")?.scrollTo(0, 0)');
  }
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  await page.evaluate('window.__focused && window.__focused.focus && window.__focused.focus()');
  return path;
}

export const DESKTOP = { width: 1280, height: 800 };
export const NARROW = { width: 375, height: 812 };

export interface PageFixture {
  testDb: TestDb;
  runner: TestRunner;
  browser: Browser;
  receiver: Receiver;
  seller: SellerCreated;
  leadOrderIds: string[];
  /** A fresh browser context (own sessionStorage) and page; problems it logs are collected. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Script errors and console errors of every page so far (CSP violations show up here). */
  problems: string[];
  /** A seller API call; throws on an unexpected status. */
  api<T>(method: string, path: string, body?: unknown, expected?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startPageFixture(
  leadOrderNames: string[] = ['Background Checks — East Coast', 'Staffing — West'],
): Promise<PageFixture> {
  const assetsDir = buildPage();
  const browser = await launchChromium();
  const testDb = await createTestDb();
  const runner = await startTestRunner(testDb, {}, { mount: deliveryPage({ assetsDir }) });
  const receiver = await startReceiver('/hook');
  const seller = await readJson<SellerCreated>(
    await runner.provider('/v1/sellers', { name: 'Acme Staffing' }),
  );
  const leadOrderIds: string[] = [];
  for (const name of leadOrderNames) {
    const order = await readJson<{ id: string }>(
      await runner.provider('/v1/lead-orders', { sellerId: seller.id, name }),
    );
    leadOrderIds.push(order.id);
  }
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  return {
    testDb,
    runner,
    browser,
    receiver,
    seller,
    leadOrderIds,
    problems,
    async newPage(viewport = DESKTOP) {
      const context = await browser.newContext({
        viewport,
        baseURL: runner.baseUrl,
        locale: 'en-US',
        timezoneId: 'America/New_York',
        colorScheme: 'light',
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10000);
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        // A 4xx answer the page shows (a validation error, a refused key) is logged by Chromium
        // as "Failed to load resource"; anything else at error level is a problem.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          problems.push(`console: ${message.text()}`);
        }
      });
      page.on('dialog', (dialog) => {
        problems.push(`unexpected ${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return page;
    },
    async api<T>(method: string, path: string, body?: unknown, expected?: number) {
      const response = await runner.seller(seller.apiKey, method, path, body);
      const status = expected ?? (method === 'POST' && path === '/v1/endpoints' ? 201 : 200);
      if (response.status !== status) {
        throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      }
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await receiver.close();
      await runner.stop();
      await testDb.drop();
      rmSync(assetsDir, { recursive: true, force: true });
    },
  };
}

/** Opens /delivery and signs in with the key; resolves when the webhook list is shown. */
export async function signIn(page: Page, apiKey: string, path = '/delivery'): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Seller API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true (bounded); the error says what was awaited. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until the locator's text contains `expected` (or matches it); returns the text. */
export async function waitForText(
  locator: Locator,
  expected: string | RegExp,
  timeoutMs = 10000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText({ timeout: 1000 }).catch(() => '');
    if (typeof expected === 'string' ? text.includes(expected) : expected.test(text)) return text;
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${String(expected)} in the text of ${locator}, got ${JSON.stringify(text)}`,
      );
    }
    await sleep(50);
  }
}
