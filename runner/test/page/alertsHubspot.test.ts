/**
 * Issue 20, points 7 and 8 in a real browser against a real runner and local receivers: the
 * alert URL set on the webhook list, its secret shown once, and "Send test alert" arriving signed
 * at a local receiver; a HubSpot webhook's Settings: HubSpot's internal names checked as you
 * type, context and consent saved and delivered, and HubSpot's error answer shown in words.
 */
import type { Page } from 'playwright-core';
import { verifySignature } from '../../../core/signing.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { screenshot, signIn, startPageFixture, waitForText, type PageFixture } from './helpers';

let fx: PageFixture;
let page: Page;
let alertInbox: Receiver;
let hubspotForm: Receiver;

beforeAll(async () => {
  fx = await startPageFixture();
  alertInbox = await startReceiver('/alerts');
  hubspotForm = await startReceiver('/submissions/v3/integration/submit/123/abc');
  page = await fx.newPage();
  await signIn(page, fx.seller.apiKey);
});

afterAll(async () => {
  await alertInbox?.close();
  await hubspotForm?.close();
  await fx?.close();
});

afterEach(() => {
  expect(fx.problems).toEqual([]);
});

const dialog = (name: string) => page.getByRole('dialog', { name });

test('the alert URL is saved from the list, and a test alert arrives signed', async () => {
  const alerts = page.getByRole('region', { name: 'Alerts' });
  const url = alerts.getByLabel('Alert URL');
  await url.waitFor();
  const testButton = alerts.getByRole('button', { name: 'Send test alert' });
  expect(await testButton.isDisabled()).toBe(true);

  // A private address the runner does not allow is refused next to the field.
  await url.fill('http://10.0.0.5/alerts');
  await alerts.getByRole('button', { name: 'Save alert URL' }).click();
  await waitForText(alerts.locator('.field-error'), '10.0.0.5');

  await url.fill(alertInbox.url);
  await alerts.getByRole('button', { name: 'Save alert URL' }).click();
  const secret = await waitForText(alerts.locator('.alert-secret'), /^whsec_/);
  expect(await alerts.locator('.field-error').innerText()).toBe('');

  await testButton.click();
  await waitForText(alerts.locator('.alert-test-result'), 'Test alert delivered: HTTP 200');
  const [received] = await alertInbox.waitFor(1);
  expect(
    verifySignature({ body: received.body, headers: received.headers, secrets: [secret.trim()] }),
  ).toEqual({ ok: true });
  expect(JSON.parse(received.body)).toEqual(
    expect.objectContaining({ type: 'alert.test', data: expect.any(Object) }),
  );
  await screenshot(page, 'alerts-settings', { scrollTo: page.locator('#alerts-title') });

  // Reloaded, the secret is not shown again; the prefix is.
  await page.reload();
  await waitForText(alerts.locator('.hint', { hasText: 'alert secret' }), secret.slice(0, 10));
  expect(await alerts.locator('.alert-secret').count()).toBe(0);
});

test('HubSpot settings: internal names checked as you type, context and consent delivered', async () => {
  const endpoint = await fx.api<{ id: string; fieldMappings: Array<{ output: string }> }>(
    'POST',
    '/v1/endpoints',
    { name: 'HubSpot form', url: hubspotForm.url, format: 'hubspot' },
  );
  expect(endpoint.fieldMappings.map((m) => m.output)).toEqual([
    'firstname',
    'lastname',
    'email',
    'phone',
    'company',
    'jobtitle',
  ]);
  await page.goto(`/delivery/webhooks/${endpoint.id}`);
  await page.getByRole('button', { name: 'Settings' }).click();
  const modal = dialog('Settings');
  await modal.waitFor();
  const hubspot = modal.getByRole('group', { name: 'HubSpot form submission' });
  expect(await hubspot.isVisible()).toBe(true);

  // A constant key HubSpot would refuse: the message is there before saving.
  await modal.getByRole('button', { name: '+ Add constant' }).click();
  await modal.getByLabel('Constant 1 key').fill('leadSource');
  await modal.getByLabel('Constant 1 value').fill('top-provider');
  await waitForText(modal, 'is not a HubSpot internal name');
  await modal.getByLabel('Constant 1 key').fill('lead_source');

  await hubspot.getByLabel('Page URI').fill('https://www.example.com/request-a-quote');
  await hubspot.getByLabel('Page name').fill('Request a quote');
  await hubspot.getByLabel('Send consent to process').check();
  await hubspot
    .getByLabel('Consent text')
    .fill('I agree to allow Acme to store and process my personal data.');
  await screenshot(page, 'settings-hubspot', { scrollTo: hubspot });
  await modal.getByRole('button', { name: 'Save' }).click();
  await dialog('Settings').waitFor({ state: 'detached' });

  const saved = await fx.api<{ hubspot: unknown }>('GET', `/v1/endpoints/${endpoint.id}`);
  expect(saved.hubspot).toEqual({
    context: { pageUri: 'https://www.example.com/request-a-quote', pageName: 'Request a quote' },
    legalConsentOptions: {
      consent: {
        consentToProcess: true,
        text: 'I agree to allow Acme to store and process my personal data.',
      },
    },
  });

  // Settings opened again and saved unchanged: nothing to save.
  await page.getByRole('button', { name: 'Settings' }).click();
  await dialog('Settings').getByRole('button', { name: 'Save' }).click();
  await page.getByText('No changes to save').waitFor();

  // HubSpot refuses the submission: the test result says why, in words.
  hubspotForm.reply((_request, response) => {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        status: 'error',
        errors: [{ message: "Error in 'fields.email'.", errorType: 'INVALID_EMAIL' }],
      }),
    );
  });
  await page.getByRole('button', { name: 'Send test' }).click();
  const result = page.getByTestId('test-result');
  await waitForText(result, 'INVALID_EMAIL (the email address is not valid)');
  const [submission] = await hubspotForm.waitFor(1);
  expect(JSON.parse(submission.body)).toEqual(
    expect.objectContaining({
      context: { pageUri: 'https://www.example.com/request-a-quote', pageName: 'Request a quote' },
      legalConsentOptions: {
        consent: {
          consentToProcess: true,
          text: 'I agree to allow Acme to store and process my personal data.',
        },
      },
      WEBHOOKURL: hubspotForm.url,
    }),
  );
  expect(JSON.parse(submission.body).fields).toContainEqual({
    name: 'lead_source',
    value: 'top-provider',
    objectTypeId: '0-1',
  });
  await screenshot(page, 'details-hubspot-error');
});
