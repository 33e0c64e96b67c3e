/**
 * The seed's walk-through, in a real browser against a real runner and receiver: sign in, "+ Add
 * a webhook", Details → Settings → "Adjust Field Mappings" (dot notation nests in the live
 * preview), "Send test", "Notification History", the endpoint type in advanced settings, and a
 * narrow window. Each screen is photographed (docs/screenshots with `npm run screenshots`).
 */
import type { Page } from 'playwright-core';
import {
  NARROW,
  screenshot,
  signIn,
  startPageFixture,
  until,
  waitForText,
  type PageFixture,
} from './helpers';

interface EndpointView {
  id: string;
  name: string;
  url: string;
  format: string;
  type: string;
  headers: Array<{ name: string; value: string }>;
  constants: Array<{ key: string; value: string }>;
  leadOrderIds: string[];
  fieldMappings: Array<{ field: string; output: string }>;
}

let fx: PageFixture;
let page: Page;
let endpointId: string;

beforeAll(async () => {
  fx = await startPageFixture();
  page = await fx.newPage();
});

afterAll(async () => {
  await fx?.close();
});

afterEach(() => {
  // No script error, no CSP violation, no alert on any screen.
  expect(fx.problems).toEqual([]);
});

const dialog = (name: string) => page.getByRole('dialog', { name });

test('signing in with the seller key shows the empty webhook list', async () => {
  await page.goto('/delivery');
  await waitForText(page.getByRole('heading', { level: 1 }), 'Notifications & Integrations');
  // The key field is focused: type and press Enter.
  await page.keyboard.type(fx.seller.apiKey);
  await page.keyboard.press('Enter');
  await page.getByText('No webhooks yet').waitFor();
  expect(await page.evaluate('sessionStorage.length')).toBe(1);
});

test('"+ Add a webhook" opens a modal that creates the webhook', async () => {
  const add = page.getByRole('button', { name: '+ Add a webhook' });
  await add.click();
  const modal = dialog('Add a webhook');
  await modal.waitFor();
  // Name is focused first.
  expect(await page.evaluate('document.activeElement.getAttribute("name")')).toBe('name');

  await modal.getByLabel('Name', { exact: true }).fill('CRM Integration');
  await modal.getByLabel('Webhook URL').fill(fx.receiver.url);
  expect(await modal.getByLabel('Data Format').inputValue()).toBe('json');
  const formats = await modal.getByLabel('Data Format').locator('option').allTextContents();
  expect(formats).toEqual(['JSON (recommended)', 'XML', 'Form', 'HubSpot Forms API']);

  // HTTP Headers: a row, its value masked until "Show".
  await modal.getByRole('button', { name: '+ Add header' }).click();
  await modal.getByLabel('Header 1 name').fill('X-Api-Key');
  const value = modal.getByLabel('Header 1 value', { exact: true });
  await value.fill('crm-token-0123456789');
  expect(await value.getAttribute('type')).toBe('password');
  await modal.getByRole('button', { name: 'Show header 1 value' }).click();
  expect(await value.getAttribute('type')).toBe('text');
  await modal.getByRole('button', { name: 'Show header 1 value' }).click();
  expect(await value.getAttribute('type')).toBe('password');
  // A second row, removed again.
  await modal.getByRole('button', { name: '+ Add header' }).click();
  await modal.getByRole('button', { name: 'Remove header 2' }).click();
  expect(await modal.getByLabel('Header 2 name').count()).toBe(0);

  // Constants.
  await modal.getByRole('button', { name: '+ Add constant' }).click();
  await modal.getByLabel('Constant 1 key').fill('source');
  await modal.getByLabel('Constant 1 value').fill('top-provider');

  // Attached Lead Orders: collapsed, all by default, and says so.
  const orders = modal.locator('summary', { hasText: 'Attached Lead Orders' });
  await waitForText(orders, 'All lead orders (default)');
  await orders.click();
  await modal.getByLabel('Background Checks — East Coast').check();
  await waitForText(orders, '1 of 2 selected');
  await screenshot(page, 'add-webhook', { scrollDialogToTop: true });

  await modal.getByRole('button', { name: 'Save' }).click();
  await modal.getByText('Webhook created').waitFor();
  await waitForText(modal.locator('.secret-value'), /^whsec_/);
  await modal.getByRole('button', { name: 'Done' }).click();
  await dialog('Add a webhook').waitFor({ state: 'detached' });
  // Focus is back on the button that opened the modal.
  expect(await page.evaluate('document.activeElement.textContent')).toBe('+ Add a webhook');

  const [endpoint] = (await fx.api<{ items: EndpointView[] }>('GET', '/v1/endpoints')).items;
  endpointId = endpoint.id;
  expect(endpoint).toMatchObject({
    name: 'CRM Integration',
    url: fx.receiver.url,
    format: 'json',
    type: 'new_leads',
    headers: [{ name: 'X-Api-Key', value: '••••6789' }],
    constants: [{ key: 'source', value: 'top-provider' }],
    leadOrderIds: [fx.leadOrderIds[0]],
    fieldMappings: [
      { field: 'firstName', output: 'firstName' },
      { field: 'lastName', output: 'lastName' },
      { field: 'email', output: 'email' },
      { field: 'phone', output: 'phone' },
    ],
  });

  // The list: name, URL, format, type, enabled, last delivery.
  const row = page.getByRole('row', { name: /CRM Integration/ });
  await row.waitFor();
  const cells = await row.locator('th, td').allInnerTexts();
  expect(cells.slice(0, 6)).toEqual([
    'CRM Integration',
    fx.receiver.url,
    'JSON',
    'New leads only',
    'Enabled',
    'No deliveries yet',
  ]);
});

test('Settings → "Adjust Field Mappings": dot notation nests in the live preview', async () => {
  await page.getByRole('link', { name: 'Details of CRM Integration' }).click();
  await page.getByRole('heading', { level: 1, name: 'CRM Integration' }).waitFor();
  await page.getByRole('button', { name: 'Settings' }).click();
  const modal = dialog('Settings');
  await modal.waitFor();
  await modal.locator('summary', { hasText: 'Adjust Field Mappings' }).click();
  const preview = modal.getByTestId('payload-preview');

  // The standard mappings, flat.
  expect(JSON.parse(await preview.innerText())).toEqual({
    messageType: 'new_lead',
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    phone: '+1 555 010 2030',
    source: 'top-provider',
  });

  // The seed's example: output names with dots nest, live, as you type.
  await modal.getByLabel('Output field name 1 (First Name)').fill('contact.firstName');
  await modal.getByLabel('Output field name 2 (Last Name)').fill('contact.lastName');
  await modal.getByLabel('Output field name 3 (Email Address)').fill('contact.email');
  await waitForText(preview, '"contact": {\n    "firstName": "Jane",\n    "lastName": "Doe"');

  // "Available Fields": click to add, the output name is focused for typing.
  await modal.getByRole('button', { name: 'Add Company', exact: true }).click();
  expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(
    'Output field name 5 (Company)',
  );
  await page.keyboard.type('contact.company.name');
  // Reorder (Company before Phone) and remove (Phone).
  await modal.getByRole('button', { name: 'Move Company up' }).click();
  await modal.getByRole('button', { name: 'Remove Phone Number mapping' }).click();

  // A problem is shown where it is, as you type, with the same rules the API applies.
  await modal.getByLabel('Output field name 3 (Email Address)').fill('contact.');
  await waitForText(
    modal.locator('.mapping-row').nth(2).locator('.field-error').nth(1),
    /empty segment/,
  );
  await waitForText(modal.locator('.preview-problem'), /Preview paused/);
  await modal.getByLabel('Output field name 3 (Email Address)').fill('contact.email');
  expect(await modal.locator('.mapping-row .field-error:not(:empty)').count()).toBe(0);

  expect(JSON.parse(await preview.innerText())).toEqual({
    messageType: 'new_lead',
    contact: {
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane@example.com',
      company: { name: 'Acme Corp' },
    },
    source: 'top-provider',
  });
  // Other formats from the same code: XML keeps the dots literally.
  await modal.getByLabel('Data Format').selectOption('xml');
  await waitForText(preview, '<contact.firstName>Jane</contact.firstName>');
  await modal.getByLabel('Data Format').selectOption('json');
  await modal.getByRole('radio', { name: 'Lead update', exact: true }).check();
  await waitForText(preview, '"messageType": "lead_update"');
  await modal.getByRole('radio', { name: 'New lead', exact: true }).check();
  await screenshot(page, 'settings-field-mappings', {
    scrollTo: modal.locator('summary', { hasText: 'Adjust Field Mappings' }),
  });

  await modal.getByRole('button', { name: 'Save' }).click();
  await dialog('Settings').waitFor({ state: 'detached' });
  await page.getByText('Settings saved').waitFor();
  const endpoint = await fx.api<EndpointView>('GET', `/v1/endpoints/${endpointId}`);
  expect(endpoint.fieldMappings).toEqual([
    { field: 'firstName', output: 'contact.firstName' },
    { field: 'lastName', output: 'contact.lastName' },
    { field: 'email', output: 'contact.email' },
    { field: 'company', output: 'contact.company.name' },
  ]);
  // The stored header kept its secret value (the page never had it).
  expect(endpoint.headers).toEqual([{ name: 'X-Api-Key', value: '••••6789' }]);
});

test('"Send test" delivers the sample lead and shows the result and the exact payload', async () => {
  const before = fx.receiver.requests.length;
  await page.getByRole('button', { name: 'Send test' }).click();
  const result = page.getByTestId('test-result');
  await waitForText(result.getByRole('heading', { level: 2 }), 'Test succeeded');
  await waitForText(result.locator('.fact', { hasText: 'HTTP status' }).locator('dd'), '200');
  await waitForText(result.locator('.fact', { hasText: 'Duration' }).locator('dd'), /^\d+ ms$/);

  const [received] = fx.receiver.requests.slice(before);
  expect(received.headers['x-api-key']).toBe('crm-token-0123456789');
  const shown = await result.getByTestId('test-payload').innerText();
  // Pretty-printed, and exactly what the receiver got.
  expect(shown).toContain('\n  "contact": {\n');
  expect(JSON.parse(shown)).toEqual(JSON.parse(received.body));
  expect(JSON.parse(received.body)).toEqual({
    messageType: 'new_lead',
    contact: {
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane@example.com',
      company: { name: 'Acme Corp' },
    },
    source: 'top-provider',
  });
  await screenshot(page, 'details-send-test');
});

test('"Notification History" lists the attempt', async () => {
  // The test result can be dismissed; the history is then the first thing under the tabs.
  await page.getByRole('button', { name: 'Dismiss the test result' }).click();
  expect(await page.getByTestId('test-result').count()).toBe(0);
  await page.getByRole('link', { name: 'Notification History' }).click();
  const row = page.locator('.history-table tbody tr.attempt-row').first();
  await row.waitFor();
  const cell = (label: string) => row.locator(`td[data-label="${label}"]`).innerText();
  expect(await cell('Status')).toBe('Success');
  expect(await cell('HTTP')).toBe('200');
  expect(await cell('Error')).toBe('—');
  expect(await cell('Attempt')).toBe('#1');
  expect(await cell('Message type')).toBe('new_lead');
  expect(await cell('Test')).toBe('Test');
  // A succeeded delivery can be sent again too (its receiver may have lost it).
  expect(await row.getByRole('button', { name: /Resend/ }).count()).toBe(1);
  // A real lead, too: assigned by the provider, delivered by the worker, listed here.
  const lead = await fx.runner.provider('/v1/leads', {
    leadOrderId: fx.leadOrderIds[0],
    lead: { firstName: 'George', lastName: 'Sanchez', email: 'george@example.com' },
  });
  expect(lead.status).toBe(202);
  await fx.receiver.waitFor(2);
  await until(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('.history-table tbody tr.attempt-row').first().waitFor();
    return (await page.locator('.history-table tbody tr.attempt-row').count()) === 2;
  }, 'the lead delivery in the history');
  expect(
    await page
      .locator('.history-table tbody tr.attempt-row')
      .first()
      .locator('td[data-label="Test"]')
      .innerText(),
  ).toBe('No');
  await screenshot(page, 'notification-history');
});

test('advanced settings: the endpoint type, with the routing patterns explained', async () => {
  await page.getByRole('button', { name: 'Settings' }).click();
  const modal = dialog('Settings');
  await modal.locator('summary', { hasText: 'Advanced settings' }).click();
  for (const pattern of [
    'Separate URL for updates',
    'Single endpoint for both',
    'No update deliveries',
  ]) {
    await modal.getByText(pattern).waitFor();
  }
  expect(await modal.getByRole('radio', { name: 'New leads only (default)' }).isChecked()).toBe(
    true,
  );
  await modal.getByRole('radio', { name: 'Lead updates only' }).check();
  // Updates need a meeting time mapping: the page says so until one is mapped.
  const warning = modal.getByText(/Lead updates go only to endpoints that map the meeting time/);
  await warning.waitFor();
  await modal.locator('summary', { hasText: 'Adjust Field Mappings' }).click();
  await modal.getByRole('button', { name: 'Add Requested Meeting Time', exact: true }).click();
  await page.keyboard.type('meeting.at');
  await warning.waitFor({ state: 'hidden' });
  await modal.getByLabel('Timeout (ms)').fill('5000');
  await modal.getByLabel('Max concurrent deliveries').fill('2');
  await screenshot(page, 'settings-advanced', {
    scrollTo: modal.locator('summary', { hasText: 'Advanced settings' }),
  });
  await page.keyboard.press('Enter'); // Enter submits the form
  await dialog('Settings').waitFor({ state: 'detached' });

  const endpoint = await fx.api<EndpointView & { timeoutMs: number }>(
    'GET',
    `/v1/endpoints/${endpointId}`,
  );
  expect(endpoint.type).toBe('lead_updates');
  expect(endpoint.timeoutMs).toBe(5000);
  expect(endpoint).toMatchObject({ maxConcurrency: 2, rateLimitPerSecond: null });
  expect(endpoint.fieldMappings.at(-1)).toEqual({
    field: 'requestedMeetingTime',
    output: 'meeting.at',
  });
  await page.locator('.badges').getByText('Lead updates only').waitFor();
});

test('the list with a few webhooks, and a narrow window (375 px)', async () => {
  await fx.api('POST', '/v1/endpoints', {
    name: 'HubSpot contacts',
    url: 'https://forms.example.com/submissions/v3/integration/submit/123/abc',
    format: 'hubspot',
    type: 'both',
    fieldMappings: [{ field: 'email', output: 'email' }],
  });
  await fx.api('POST', '/v1/endpoints', {
    name: 'Legacy XML feed',
    url: 'https://legacy.example.com/leads.xml',
    format: 'xml',
    enabled: false,
  });
  await page.getByRole('link', { name: 'Notifications & Integrations' }).first().click();
  await page.getByRole('row', { name: /Legacy XML feed/ }).waitFor();
  await screenshot(page, 'webhook-list');

  const narrow = await fx.newPage(NARROW);
  await signIn(narrow, fx.seller.apiKey);
  await narrow.getByRole('row', { name: /Legacy XML feed/ }).waitFor();
  // Nothing wider than the window: no sideways scrolling.
  expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await screenshot(narrow, 'webhook-list-narrow');
  await narrow.getByRole('link', { name: 'Details of CRM Integration' }).click();
  await narrow.getByRole('button', { name: 'Send test' }).click();
  await narrow.getByTestId('test-result').waitFor();
  expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await screenshot(narrow, 'details-narrow');
  await narrow.getByRole('button', { name: 'Settings' }).click();
  await narrow.locator('summary', { hasText: 'Adjust Field Mappings' }).click();
  await narrow.locator('summary', { hasText: 'Attached Lead Orders' }).click();
  // The modal fits too: its body scrolls down, never sideways.
  const fits =
    '(() => { const b = document.querySelector("dialog .dialog-body"); return b.scrollWidth <= b.clientWidth; })()';
  expect(await narrow.evaluate(fits)).toBe(true);
});

test('sign out forgets the key', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Seller API key').waitFor();
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  await page.reload();
  await page.getByLabel('Seller API key').waitFor();
});
