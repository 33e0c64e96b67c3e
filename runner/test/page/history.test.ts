/**
 * What a seller reaches for after the walk-through, in a real browser against a real runner and
 * local receivers: the payload of every attempt with Copy, the history's filters, the history of
 * all webhooks, Resend of a delivery that succeeded, bulk replay with its count, rotating the
 * signing secret and deleting a webhook, advice next to a failure, times in the browser's zone,
 * test deliveries marked for the receiver, and the Field Mappings card and collision messages.
 */
import type { Page } from 'playwright-core';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { readJson } from '../helpers/runner';
import {
  screenshot,
  signIn,
  startPageFixture,
  until,
  waitForText,
  type PageFixture,
} from './helpers';

let fx: PageFixture;
let page: Page;

beforeAll(async () => {
  fx = await startPageFixture();
  page = await fx.newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, fx.seller.apiKey);
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

async function postLead(lead: Record<string, string>): Promise<{ leadId: string }> {
  return readJson<{ leadId: string }>(
    await fx.runner.provider('/v1/leads', { leadOrderId: fx.leadOrderIds[0], lead }),
  );
}

interface DeliveryBody {
  status: string;
}

async function deliveryStatuses(endpointId: string): Promise<string[]> {
  const page = await fx.api<{ items: Array<{ deliveryId: string }> }>(
    'GET',
    `/v1/endpoints/${endpointId}/history?limit=200`,
  );
  const ids = [...new Set(page.items.map((item) => item.deliveryId))];
  return Promise.all(
    ids.map(async (id) => (await fx.api<DeliveryBody>('GET', `/v1/deliveries/${id}`)).status),
  );
}

const rows = () => page.locator('.history-table tbody tr.attempt-row');

async function refreshUntil(count: number, what: string): Promise<void> {
  await until(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await rows().first().waitFor();
    return (await rows().count()) === count;
  }, what);
}

test('Send test is marked for the receiver; a failure shows advice chosen by its cause', async () => {
  const denying: Receiver = await startReceiver('/deny');
  try {
    denying.reply((_request, response) => response.writeHead(401).end('no token'));
    const { id } = await createEndpoint({ name: 'Locked CRM', url: denying.url });
    await page.goto(`/delivery/webhooks/${id}`);
    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.getByTestId('test-result');
    await waitForText(result.getByRole('heading', { level: 2 }), 'Test failed');
    const advice = result.locator('.troubleshooting');
    await waitForText(advice, 'Troubleshooting: Authentication errors');
    await waitForText(advice, 'authentication tokens or API keys are correctly formatted');
    await waitForText(result, 'webhook-test: true');
    await waitForText(result.locator('.content-type'), 'application/json');
    expect(denying.requests).toHaveLength(1);
    expect(denying.requests[0].headers['webhook-test']).toBe('true');
    // Copy puts the body exactly as sent on the clipboard.
    await result.getByRole('button', { name: 'Copy the payload' }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(denying.requests[0].body);
    await screenshot(page, 'details-send-test-troubleshooting');
  } finally {
    await denying.close();
  }
});

test('History Details show the payload sent, its content type and a Copy button', async () => {
  const { id } = await createEndpoint({ name: 'Payload CRM', format: 'xml' });
  const before = fx.receiver.requests.length;
  await postLead({ firstName: 'Paula', lastName: 'Yu', email: 'paula@example.com' });
  await fx.receiver.waitFor(before + 1);
  const sent = fx.receiver.requests[before];
  expect(sent.headers['webhook-test']).toBeUndefined();
  await page.goto(`/delivery/webhooks/${id}/history`);
  await refreshUntil(1, 'the delivery in the history');
  await rows()
    .first()
    .getByRole('button', { name: /^Details of the attempt/ })
    .click();
  const details = page.locator('.history-table tr.attempt-details').first();
  await waitForText(details.locator('.payload-pane'), '<firstName>Paula</firstName>');
  expect(await details.locator('.payload-code').innerText()).toBe(sent.body);
  await waitForText(details.locator('.content-type'), String(sent.headers['content-type']));
  await details.getByRole('button', { name: 'Copy the payload' }).click();
  await waitForText(details.getByRole('button', { name: 'Copy the payload' }), 'Copied');
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(sent.body);
  await screenshot(page, 'notification-history-payload', {
    scrollTo: page.getByRole('navigation', { name: 'Webhook sections' }),
  });
});

test('times are in the browser time zone with the zone shown, and UTC on hover', async () => {
  const time = rows().first().locator('time');
  const iso = (await time.getAttribute('datetime')) ?? '';
  // The fixture's browser runs in America/New_York.
  expect(await time.innerText()).toMatch(/E[SD]T|GMT-[45]/);
  expect(await time.getAttribute('title')).toBe(
    `${new Date(iso).toISOString().replace('T', ' ').replace('Z', '')} UTC`,
  );
  await waitForText(page.locator('.zone-note'), 'America/New_York');
});

test('resend of a succeeded delivery: same webhook-id, attempt #2, only the latest row offers it', async () => {
  const first = rows().first();
  const resend = first.getByRole('button', { name: /^Resend/ });
  await resend.waitFor();
  const before = fx.receiver.requests.length;
  const webhookId = String(fx.receiver.requests[before - 1].headers['webhook-id']);
  await resend.click();
  await waitForText(first.locator('.actions-cell'), 'Queued for resend');
  await fx.receiver.waitFor(before + 1);
  expect(String(fx.receiver.requests[before].headers['webhook-id'])).toBe(webhookId);
  await refreshUntil(2, 'the resent attempt');
  expect(await page.locator('.history-table td[data-label="Attempt"]').allInnerTexts()).toEqual([
    '#2',
    '#1',
  ]);
  expect(
    await rows()
      .nth(0)
      .getByRole('button', { name: /^Resend/ })
      .count(),
  ).toBe(1);
  expect(
    await rows()
      .nth(1)
      .getByRole('button', { name: /^Resend/ })
      .count(),
  ).toBe(0);
});

test('filters: message type, test/real, lead id and time range', async () => {
  const { id } = await createEndpoint({ name: 'Filter CRM', type: 'both' });
  const before = fx.receiver.requests.length;
  const { leadId } = await postLead({ firstName: 'Fil', email: 'fil@example.com' });
  await postLead({ firstName: 'Other', email: 'other@example.com' });
  await fx.receiver.waitFor(before + 2);
  await fx.api('POST', `/v1/endpoints/${id}/test`);
  await page.goto(`/delivery/webhooks/${id}/history`);
  await refreshUntil(3, 'two deliveries and a test');

  await page.getByLabel('Test', { exact: true }).selectOption('true');
  await until(async () => (await rows().count()) === 1, 'the test only');
  expect(await rows().first().locator('td[data-label="Test"]').innerText()).toBe('Test');
  await page.getByLabel('Test', { exact: true }).selectOption('false');
  await until(async () => (await rows().count()) === 2, 'the real deliveries only');

  await page.getByLabel('Lead ID').fill(leadId);
  await page.getByLabel('Lead ID').press('Enter');
  await until(async () => (await rows().count()) === 1, "the lead's delivery");
  await rows()
    .first()
    .getByRole('button', { name: /^Details of the attempt/ })
    .click();
  await waitForText(page.locator('.history-table tr.attempt-details').first(), leadId);

  await page.getByLabel('Message type').selectOption('lead_update');
  await page.getByText('No attempts match these filters').waitFor();
  await page.getByLabel('Message type').selectOption('new_lead');
  await until(async () => (await rows().count()) === 1, 'new_lead again');

  // A time range that ends before anything was sent.
  await page.getByLabel('Lead ID').fill('');
  await page.getByLabel('To', { exact: true }).fill('2020-01-01T00:00');
  await page.getByText('No attempts match these filters').waitFor();
  await page.getByLabel('To', { exact: true }).fill('');
  await page.getByLabel('From', { exact: true }).fill('2020-01-01T00:00');
  await until(async () => (await rows().count()) === 2, 'everything since 2020, real only');
  await screenshot(page, 'notification-history-filters');
  await page.getByRole('button', { name: 'Clear' }).click();
  await until(async () => (await rows().count()) === 3, 'no filters');
});

test('the history of all webhooks names each webhook, newest first', async () => {
  const other: Receiver = await startReceiver('/other');
  try {
    await createEndpoint({ name: 'Second system', url: other.url });
    const before = fx.receiver.requests.length;
    await postLead({ firstName: 'Everywhere', email: 'every@example.com' });
    await other.waitFor(1);
    await fx.receiver.waitFor(before + 1);
    await page.goto('/delivery');
    await page.getByRole('link', { name: 'Delivery history of all webhooks →' }).click();
    await page.getByRole('heading', { level: 1, name: 'Delivery history' }).waitFor();
    await rows().first().waitFor();
    const webhooks = await page.locator('.history-table td[data-label="Webhook"]').allInnerTexts();
    expect(webhooks).toContain('Second system');
    expect(webhooks).toContain('Payload CRM');
    expect(new Set(webhooks).size).toBeGreaterThan(2);
    const times = await rows()
      .locator('time')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);
    // Filters work here too.
    await page.getByLabel('Test', { exact: true }).selectOption('true');
    await until(
      async () =>
        (await page.locator('.history-table td[data-label="Test"]').allInnerTexts()).every(
          (text) => text === 'Test',
        ),
      'tests only',
    );
    await page.getByLabel('Test', { exact: true }).selectOption('');
    await rows().first().waitFor();
    await screenshot(page, 'delivery-history-all-webhooks');
    // A webhook's name leads to its own history.
    await page
      .locator('.history-table td[data-label="Webhook"] a', { hasText: 'Second system' })
      .first()
      .click();
    await page.getByRole('heading', { level: 1, name: 'Second system' }).waitFor();
  } finally {
    await other.close();
  }
});

test('bulk replay: the count first, then the failed deliveries go out again', async () => {
  const flaky: Receiver = await startReceiver('/flaky');
  try {
    let accept = false;
    flaky.reply((_request, response) => response.writeHead(accept ? 200 : 422).end());
    const { id } = await createEndpoint({ name: 'Flaky CRM', url: flaky.url });
    await postLead({ firstName: 'R1', email: 'r1@example.com' });
    await postLead({ firstName: 'R2', email: 'r2@example.com' });
    await flaky.waitFor(2);
    await until(
      async () => (await deliveryStatuses(id)).join() === 'failed,failed',
      'two failed deliveries',
    );
    accept = true;
    await page.goto(`/delivery/webhooks/${id}/history`);
    await rows().first().waitFor();
    await page.getByRole('button', { name: 'Replay failed…' }).click();
    const modal = page.getByRole('dialog', { name: 'Replay failed deliveries' });
    await waitForText(modal.locator('.replay-count'), '2 failed deliveries will be sent again.');
    await screenshot(page, 'replay-failed-count');
    expect(flaky.requests).toHaveLength(2);
    await modal.getByRole('button', { name: 'Replay 2 deliveries' }).click();
    await modal.waitFor({ state: 'detached' });
    await flaky.waitFor(4);
    await until(
      async () => (await deliveryStatuses(id)).join() === 'succeeded,succeeded',
      'both replayed deliveries succeeded',
    );
    await refreshUntil(4, 'the replayed attempts');
  } finally {
    await flaky.close();
  }
});

test('rotate the signing secret: shown once, both secrets sign for 24 hours', async () => {
  const { id } = await createEndpoint({ name: 'Rotating CRM' });
  await page.goto(`/delivery/webhooks/${id}`);
  const prefix = await page.locator('.secret-fact .mono').innerText();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const modal = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
  await waitForText(modal, 'For the next 24 hours every delivery is signed with both secrets');
  await modal.getByRole('button', { name: 'Rotate secret' }).click();
  const secret = await waitForText(modal.getByTestId('new-secret'), /^whsec_/);
  await waitForText(modal, 'It is shown only now');
  await waitForText(modal, 'Both the old and the new secret sign every delivery until');
  await modal.getByRole('button', { name: 'Copy the new secret' }).click();
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
  await screenshot(page, 'rotate-signing-secret');
  await modal.getByRole('button', { name: 'Done' }).click();
  await until(
    async () => (await page.locator('.secret-fact .mono').innerText()) !== prefix,
    'the new secret prefix',
  );
  expect(
    secret.startsWith((await page.locator('.secret-fact .mono').innerText()).replace('…', '')),
  ).toBe(true);
  // Deliveries now carry two signatures: the new secret's and the previous one's.
  const before = fx.receiver.requests.length;
  await fx.api('POST', `/v1/endpoints/${id}/test`);
  await fx.receiver.waitFor(before + 1);
  const test = fx.receiver.requests.slice(before).find((r) => r.headers['webhook-test'] === 'true');
  const signatures = String(test?.headers['webhook-signature']).split(' ');
  expect(signatures).toHaveLength(2);
});

test('delete a webhook: the dialog says what happens to pending deliveries', async () => {
  const { id } = await createEndpoint({ name: 'Doomed CRM', enabled: false });
  // A disabled endpoint keeps its deliveries pending.
  await postLead({ firstName: 'Pending', email: 'pending@example.com' });
  await page.goto(`/delivery/webhooks/${id}`);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  const modal = page.getByRole('dialog', { name: 'Delete this webhook?' });
  await waitForText(modal, 'Its pending deliveries and those waiting for a retry are deleted');
  await waitForText(modal, 'will not be sent');
  await screenshot(page, 'delete-webhook');
  // Cancel keeps it.
  await modal.getByRole('button', { name: 'Cancel' }).click();
  await fx.api('GET', `/v1/endpoints/${id}`);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await modal.getByRole('button', { name: 'Delete webhook' }).click();
  await page.getByRole('heading', { level: 1, name: 'Notifications & Integrations' }).waitFor();
  await page.getByText('Webhook “Doomed CRM” deleted').waitFor();
  expect(await page.getByRole('link', { name: 'Details of Doomed CRM' }).count()).toBe(0);
  await fx.api('GET', `/v1/endpoints/${id}`, undefined, 404);
});

test('Field Mappings: long output names wrap inside the card; collisions name the rows', async () => {
  const long = 'contact.properties.customer_primary_email_address_for_marketing_2026';
  const { id } = await createEndpoint({
    name: 'Long names',
    fieldMappings: [
      { field: 'email', output: long },
      { field: 'firstName', output: 'first' },
    ],
  });
  await page.goto(`/delivery/webhooks/${id}`);
  const card = page.locator('section', {
    has: page.getByRole('heading', { name: 'Field Mappings' }),
  });
  const code = card.locator('code', { hasText: long });
  await code.waitFor();
  const cardBox = (await card.boundingBox())!;
  const codeBox = (await code.boundingBox())!;
  expect(codeBox.x + codeBox.width).toBeLessThanOrEqual(cardBox.x + cardBox.width);
  expect(
    await code.evaluate(
      (node) => node.parentElement!.scrollWidth <= node.parentElement!.clientWidth,
    ),
  ).toBe(true);

  await page.getByRole('button', { name: 'Settings' }).click();
  const modal = page.getByRole('dialog', { name: 'Settings' });
  await modal.locator('summary', { hasText: 'Adjust Field Mappings' }).click();
  await modal.getByLabel('Output field name 2 (First Name)').fill(long);
  const error = modal.locator('.mapping-row').nth(1).locator('.field-error').nth(1);
  await waitForText(
    error,
    'used twice: by Field Mappings row 1 (Email Address) and by Field Mappings row 2 (First Name)',
  );
  expect(await error.innerText()).not.toContain('fieldMappings[');
  await modal.getByRole('button', { name: 'Cancel' }).click();
});
