/**
 * What the API answers as a warning when an endpoint is saved (issue 21), shown by the page: an
 * endpoint taking lead updates without a meeting mapping is saved, and the page says it will get
 * no updates.
 */
import type { Page } from 'playwright-core';
import { signIn, startPageFixture, waitForText, type PageFixture } from './helpers';

let fx: PageFixture;
let page: Page;

beforeAll(async () => {
  fx = await startPageFixture();
  page = await fx.newPage();
  await signIn(page, fx.seller.apiKey);
});

afterAll(async () => {
  await fx?.close();
});

afterEach(() => {
  expect(fx.problems).toEqual([]);
});

test("saving an endpoint that takes updates without a meeting mapping shows the API's warning", async () => {
  const { id } = await fx.api<{ id: string }>('POST', '/v1/endpoints', {
    name: 'CRM',
    url: fx.receiver.url,
  });
  await page.goto(`/delivery/webhooks/${id}`);
  await page.getByRole('button', { name: 'Settings' }).click();
  const modal = page.getByRole('dialog', { name: 'Settings' });
  await modal.locator('summary', { hasText: 'Advanced settings' }).click();
  await modal.getByRole('radio', { name: 'New leads and lead updates' }).check();
  await modal.getByRole('button', { name: 'Save' }).click();
  await modal.waitFor({ state: 'detached' });

  const toast = page.locator('.toast', { hasText: 'maps no meeting field' });
  await waitForText(
    toast,
    /takes lead updates but maps no meeting field .* so it will receive none/,
  );
  const saved = await fx.api<{ type: string }>('GET', `/v1/endpoints/${id}`);
  expect(saved.type).toBe('both');
});
