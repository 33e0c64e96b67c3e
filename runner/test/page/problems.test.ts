/**
 * The page when things go wrong, in a real browser against a real runner: a refused key, API
 * validation errors next to the fields they name, a receiver answering 500 (the test result,
 * the history, Resend), a receiver answering NUL characters (the history's notice), history
 * pagination, a hostile endpoint name rendered as text, and the
 * keyboard (focus trapped in the modal, Esc closes it, focus returns).
 */
import type { Page } from 'playwright-core';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { PROVIDER_KEY } from '../helpers/app';
import {
  screenshot,
  signIn,
  startPageFixture,
  until,
  waitForText,
  type PageFixture,
} from './helpers';

/** HISTORY_PAGE_SIZE of runner/page/history.ts. */
const PAGE_SIZE = 20;

let fx: PageFixture;
let page: Page;

beforeAll(async () => {
  fx = await startPageFixture();
  page = await fx.newPage();
});

afterAll(async () => {
  await fx?.close();
});

afterEach(() => {
  expect(fx.problems).toEqual([]);
});

async function createEndpoint(body: Record<string, unknown>): Promise<{ id: string }> {
  return fx.api<{ id: string }>('POST', '/v1/endpoints', { url: fx.receiver.url, ...body });
}

test('a wrong key is refused at sign-in, with the message next to the key field', async () => {
  await page.goto('/delivery');
  await page.getByLabel('Seller API key').fill('ld_sk_not-a-real-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const field = page.locator('.field', { has: page.getByLabel('Seller API key') });
  await waitForText(field.locator('.field-error'), 'This API key was not accepted');
  expect(await page.getByLabel('Seller API key').getAttribute('aria-invalid')).toBe('true');
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  // The provider key is a valid key, but not a seller's.
  await page.getByLabel('Seller API key').fill(PROVIDER_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForText(field.locator('.field-error'), 'This is not a seller key');

  await page.getByLabel('Seller API key').fill(fx.seller.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
});

test('API validation errors appear next to the field they name, with focus on the first', async () => {
  await page.getByRole('button', { name: '+ Add a webhook' }).click();
  const modal = page.getByRole('dialog', { name: 'Add a webhook' });
  await modal.getByLabel('Name', { exact: true }).fill('Broken');
  await modal.getByLabel('Webhook URL').fill('not a url');
  await modal.getByRole('button', { name: '+ Add header' }).click();
  await modal.getByLabel('Header 1 name').fill('Bad Header');
  await modal.getByLabel('Header 1 value', { exact: true }).fill('x');
  await modal.getByRole('button', { name: '+ Add constant' }).click();
  await modal.getByLabel('Constant 1 key').fill('messageType');
  await modal.getByRole('button', { name: 'Save' }).click();

  // The error slot of the innermost field holding the control.
  const errorOf = (label: string) =>
    modal
      .locator('.field', { has: page.getByLabel(label, { exact: true }) })
      .last()
      .locator(':scope > .field-error');
  await waitForText(errorOf('Webhook URL'), 'must be an absolute URL');
  await waitForText(errorOf('Header 1 name'), 'is not a valid HTTP token');
  await waitForText(errorOf('Constant 1 key'), 'reserved');
  expect(await modal.getByLabel('Webhook URL').getAttribute('aria-invalid')).toBe('true');
  // The message is the field's description for assistive technology.
  const describedBy =
    (await modal.getByLabel('Webhook URL').getAttribute('aria-describedby')) ?? '';
  const descriptions = await Promise.all(
    describedBy.split(' ').map((id) => modal.locator(`[id="${id}"]`).innerText()),
  );
  expect(descriptions.join(' ')).toContain('must be an absolute URL');
  await waitForText(modal.locator('.error-summary'), 'Please correct the 3 highlighted fields');
  expect(await page.evaluate('document.activeElement.getAttribute("name")')).toBe('url');
  expect(await page.evaluate('document.activeElement.closest("dialog") !== null')).toBe(true);
  await screenshot(page, 'add-webhook-errors', { scrollDialogToTop: true });

  // A problem on a field the form does not show goes to the summary at the top.
  await modal.getByLabel('Webhook URL').fill('https://hooks.example.com/leads');
  // Fixing the URL clears its message at once, not only at the next Save.
  expect(await errorOf('Webhook URL').innerText()).toBe('');
  expect(await modal.getByLabel('Webhook URL').getAttribute('aria-invalid')).toBeNull();
  expect(await errorOf('Header 1 name').innerText()).toContain('is not a valid HTTP token');
  await modal.getByLabel('Header 1 name').fill('X-Token');
  await modal.getByLabel('Constant 1 key').fill('source');
  await page.route('**/v1/endpoints', (route) =>
    route.fulfill({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({
        error: {
          code: 'validation_failed',
          message: '2 problems in the request (see details)',
          details: [
            { path: 'name', message: 'must be at most 100 characters' },
            { path: 'somethingNew', message: 'is not a known field' },
          ],
        },
      }),
    }),
  );
  await modal.getByRole('button', { name: 'Save' }).click();
  await waitForText(errorOf('Name'), 'must be at most 100 characters');
  await waitForText(modal.locator('.error-summary'), 'somethingNew: is not a known field');
  // The earlier messages are gone.
  expect(await errorOf('Webhook URL').innerText()).toBe('');
  await page.unroute('**/v1/endpoints');

  await modal.getByRole('button', { name: 'Save' }).click();
  await modal.getByText('Webhook created').waitFor();
  await modal.getByRole('button', { name: 'Done' }).click();
});

test('the modal keeps the focus inside, Esc closes it and the focus returns', async () => {
  const add = page.getByRole('button', { name: '+ Add a webhook' });
  await add.focus();
  await page.keyboard.press('Enter');
  const modal = page.getByRole('dialog', { name: 'Add a webhook' });
  await modal.waitFor();
  const inDialog = () => page.evaluate('document.activeElement.closest("dialog") !== null');
  for (let i = 0; i < 30; i += 1) {
    await page.keyboard.press('Tab');
    expect(await inDialog()).toBe(true);
  }
  for (let i = 0; i < 5; i += 1) {
    await page.keyboard.press('Shift+Tab');
    expect(await inDialog()).toBe(true);
  }
  // Every control reached by Tab shows where the focus is.
  const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
  expect(outline).not.toBe('none');
  await page.keyboard.press('Escape');
  await modal.waitFor({ state: 'detached' });
  expect(await page.evaluate('document.activeElement.textContent')).toBe('+ Add a webhook');
});

test('a hostile endpoint name is rendered as text, never as markup', async () => {
  const hostile = '<img src=x onerror=alert(1)>';
  await createEndpoint({
    name: hostile,
    constants: [{ key: 'note', value: '<script>alert(2)</script>' }],
  });
  await page.reload();
  const link = page.getByRole('link', { name: hostile, exact: true });
  await link.waitFor();
  expect(await page.locator('img').count()).toBe(0);
  await link.click();
  await page.getByRole('heading', { level: 1, name: hostile }).waitFor();
  await page.getByText('<script>alert(2)</script>').waitFor();
  expect(await page.locator('img, main script').count()).toBe(0);
  expect(await page.title()).toContain(hostile);
  // fx.problems (checked after each test) would hold the alert had it run.
});

test('a failing receiver: the test result and the history show the error; Resend queues it again', async () => {
  const failing: Receiver = await startReceiver('/fail');
  try {
    failing.reply((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('database is down');
    });
    const { id } = await createEndpoint({ name: 'Failing CRM', url: failing.url });
    await page.goto(`/delivery/webhooks/${id}`);
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.getByTestId('test-result');
    await waitForText(result.getByRole('heading', { level: 2 }), 'Test failed');
    await waitForText(result.locator('.fact', { hasText: 'HTTP status' }).locator('dd'), '500');
    await waitForText(result.locator('.test-error'), 'HTTP 500 Internal Server Error');
    await waitForText(result.locator('pre').first(), 'database is down');
    await screenshot(page, 'details-send-test-failure');

    await page.getByRole('link', { name: 'Notification History' }).click();
    const firstRow = page.locator('.history-table tbody tr.attempt-row').first();
    await firstRow.waitFor();
    expect(await firstRow.locator('td[data-label="Status"]').innerText()).toBe('Failure');
    expect(await firstRow.locator('td[data-label="HTTP"]').innerText()).toBe('500');
    await waitForText(firstRow.locator('td[data-label="Error"]'), 'HTTP 500 Internal Server Error');

    // The status filter.
    await page.getByLabel('Status').selectOption('success');
    await page.getByText('No attempts match these filters').waitFor();
    await page.getByLabel('Status').selectOption('failure');
    await firstRow.waitFor();

    // Resend: queued again, feedback in place, and new attempts arrive.
    const before = failing.requests.length;
    await firstRow.getByRole('button', { name: /^Resend/ }).click();
    await waitForText(firstRow.locator('.actions-cell'), 'Queued for resend');
    await failing.waitFor(before + 1);
    await until(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('.history-table tbody tr.attempt-row').first().waitFor();
      return (await page.locator('.history-table tbody tr.attempt-row').count()) > 1;
    }, 'the resent attempts in the history');
    // A test delivery is never retried: one new attempt, failed again, resendable again. Its
    // number runs on from the first; the first no longer offers Resend (it is not the latest).
    const attempts = await page.locator('.history-table td[data-label="Attempt"]').allInnerTexts();
    expect(attempts).toEqual(['#2', '#1']);
    expect(
      await page
        .locator('.history-table tbody tr.attempt-row')
        .nth(1)
        .getByRole('button', { name: /^Resend/ })
        .count(),
    ).toBe(0);
    await page
      .locator('.history-table tbody tr.attempt-row')
      .first()
      .getByRole('button', { name: /^Resend/ })
      .waitFor();
    // "Details" opens the attempt: ids, duration, the response and the request headers.
    const latest = page.locator('.history-table tbody tr.attempt-row').first();
    const toggle = latest.getByRole('button', { name: /^Details of the attempt/ });
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const details = page.locator('.history-table tr.attempt-details').first();
    await waitForText(details, 'database is down');
    await waitForText(details, 'webhook-signature');
    await screenshot(page, 'notification-history-failures', {
      scrollTo: page.getByRole('navigation', { name: 'Webhook sections' }),
    });
  } finally {
    await failing.close();
  }
});

test("a receiver answering with NUL characters: the attempt's Details say they are shown as U+FFFD", async () => {
  const hostile: Receiver = await startReceiver('/nul');
  try {
    hostile.reply((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('accepted\u0000\u0000');
    });
    const { id } = await createEndpoint({ name: 'NUL CRM', url: hostile.url });
    await page.goto(`/delivery/webhooks/${id}`);
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.getByTestId('test-result');
    await waitForText(result.getByRole('heading', { level: 2 }), 'Test succeeded');
    await result.getByText('Response from your endpoint').click();
    await waitForText(result.locator('pre').first(), 'accepted\uFFFD\uFFFD');

    await page.getByRole('link', { name: 'Notification History' }).click();
    const latest = page.locator('.history-table tbody tr.attempt-row').first();
    await latest.waitFor();
    await latest.getByRole('button', { name: /^Details of the attempt/ }).click();
    const details = page.locator('.history-table tr.attempt-details').first();
    await waitForText(
      details.locator('.attempt-notice'),
      'The response held 2 NUL characters; they are shown as U+FFFD.',
    );
    await waitForText(details, 'accepted\uFFFD\uFFFD');
  } finally {
    await hostile.close();
  }
});

test('a paused webhook (circuit breaker open) says so, and that nothing is dropped', async () => {
  const { id } = await createEndpoint({ name: 'Flaky CRM' });
  const nextProbeAt = new Date(Date.now() + 60_000).toISOString();
  // The runner's view of the endpoint, with the breaker open (as the worker would leave it).
  await page.route(`**/v1/endpoints/${id}`, async (route) => {
    const response = await route.fetch();
    const endpoint = (await response.json()) as Record<string, unknown>;
    endpoint.circuit = {
      state: 'open',
      cause: 'http_5xx',
      lastError: 'HTTP 503 Service Unavailable',
      openedAt: new Date().toISOString(),
      consecutiveFailures: 5,
      nextProbeAt,
    };
    await route.fulfill({ response, json: endpoint });
  });
  try {
    await page.goto(`/delivery/webhooks/${id}`);
    const notice = page.getByText('Deliveries to this webhook are paused.');
    await notice.waitFor();
    await waitForText(
      page.locator('.notice-warning'),
      '5 attempts in a row failed (last: HTTP 503 Service Unavailable)',
    );
    await waitForText(page.locator('.notice-warning'), 'nothing is dropped');
    await page.locator('.badges').getByText('Paused').waitFor();
  } finally {
    await page.unroute(`**/v1/endpoints/${id}`);
  }
});

test('history pagination: "Load more" follows the cursor', async () => {
  const { id } = await createEndpoint({ name: 'Busy endpoint' });
  for (let i = 0; i < PAGE_SIZE + 3; i += 1) {
    const response = await fx.runner.seller(fx.seller.apiKey, 'POST', `/v1/endpoints/${id}/test`);
    expect(response.status).toBe(200);
  }
  await page.goto(`/delivery/webhooks/${id}/history`);
  const rows = page.locator('.history-table tbody tr.attempt-row');
  await rows.first().waitFor();
  expect(await rows.count()).toBe(PAGE_SIZE);
  await waitForText(page.getByText(/^Showing/), `Showing ${PAGE_SIZE} attempts (more available)`);
  await page.getByRole('button', { name: 'Load more' }).click();
  await until(async () => (await rows.count()) === PAGE_SIZE + 3, 'the second page');
  expect(await page.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false);
  // Newest first, no row twice.
  const times: string[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < PAGE_SIZE + 3; i += 1) {
    times.push((await rows.nth(i).locator('time').getAttribute('datetime')) ?? '');
    ids.add((await rows.nth(i).getAttribute('data-attempt-id')) ?? '');
  }
  expect([...times].sort().reverse()).toEqual(times);
  expect(ids.size).toBe(PAGE_SIZE + 3);
});

test('a reload keeps the session; an unknown webhook says so', async () => {
  await page.goto('/delivery/webhooks/ep_does_not_exist');
  await page.getByRole('heading', { name: 'Webhook not found' }).waitFor();
  await page.goto('/delivery/nowhere');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  // A key revoked (or a database reset) while signed in: back to the sign-in form, with a note.
  await page.evaluate('sessionStorage.setItem("lead-delivery.seller-key", "ld_sk_revoked")');
  await page.goto('/delivery');
  await page.getByLabel('Seller API key').waitFor();
  await page.getByText('Your API key was not accepted any more').waitFor();
  await signIn(page, fx.seller.apiKey);
});
