/**
 * "+ Add a webhook": Name, Webhook URL, Data Format, HTTP Headers, Constants and the collapsible
 * "Attached Lead Orders"; Save creates the endpoint (standard mappings, new leads only) and shows
 * its signing secret, once.
 */
import type { PayloadFormat } from '../../core/types.js';
import { api, type CreatedEndpoint, type LeadOrder } from './api.js';
import { openDialog, type DialogHandle } from './dialog.js';
import { h } from './dom.js';
import { FormErrors } from './errors.js';
import { constantsEditor, field, formatSelect, headersEditor, LeadOrdersPicker } from './fields.js';
import { detailsPath, errorMessage, type ViewContext } from './view.js';

function createdPanel(
  ctx: ViewContext,
  dialog: DialogHandle,
  endpoint: CreatedEndpoint,
): { content: HTMLElement; focus: HTMLElement } {
  const secret = h('code', { class: 'secret-value' }, endpoint.signingSecret);
  const copy = h('button', { type: 'button', class: 'button button-small' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(endpoint.signingSecret);
      copy.textContent = 'Copied';
    } catch {
      // No clipboard access (plain http, permissions): select the text for a manual copy.
      const range = document.createRange();
      range.selectNodeContents(secret);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      copy.textContent = 'Selected: press Ctrl+C';
    }
  });
  const open = h(
    'a',
    { href: detailsPath(endpoint.id), 'data-link': '', class: 'button button-primary' },
    'Open details',
  );
  open.addEventListener('click', () => dialog.close());
  const done = h(
    'button',
    { type: 'button', class: 'button', onclick: () => dialog.close() },
    'Done',
  );
  const content = h(
    'div',
    null,
    h(
      'div',
      { class: 'dialog-body' },
      h(
        'div',
        { class: 'notice notice-success', role: 'status' },
        h('strong', null, 'Webhook created: '),
        endpoint.name,
      ),
      (endpoint.warnings ?? []).map((warning) =>
        h('p', { class: 'notice notice-warning', role: 'status' }, warning.message),
      ),
      h('h3', { class: 'subheading' }, 'Signing secret'),
      h(
        'p',
        null,
        'Each delivery is signed (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). ',
        'Your receiver verifies the signature with this secret. ',
        h('strong', null, 'It is shown only now:'),
        ' copy it into your receiving system.',
      ),
      h('div', { class: 'secret-box' }, secret, copy),
      h(
        'p',
        { class: 'hint' },
        'Next: open the details to send a test and adjust the field mappings.',
      ),
    ),
    h('div', { class: 'dialog-footer' }, done, open),
  );
  ctx.toast(`Webhook “${endpoint.name}” created`);
  return { content, focus: copy };
}

export async function openAddWebhook(ctx: ViewContext, onCreated: () => void): Promise<void> {
  let orders: LeadOrder[] = [];
  try {
    orders = await api.leadOrders(true);
  } catch (error) {
    ctx.toast(`Could not load your lead orders: ${errorMessage(error)}`, 'error');
  }

  const name = h('input', {
    type: 'text',
    class: 'input',
    name: 'name',
    maxlength: '100',
    autocomplete: 'off',
    placeholder: 'CRM Integration',
    'aria-required': 'true',
  });
  const url = h('input', {
    type: 'url',
    class: 'input mono',
    name: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    inputmode: 'url',
    placeholder: 'https://crm.example.com/webhooks/leads',
    'aria-required': 'true',
  });
  const format = formatSelect('json');
  const headers = headersEditor();
  const constants = constantsEditor();
  const leadOrders = new LeadOrdersPicker(orders);
  const summary = h('div');
  const save = h('button', { type: 'submit', class: 'button button-primary' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');

  const form = h(
    'form',
    { class: 'endpoint-form', novalidate: true },
    h(
      'div',
      { class: 'dialog-body' },
      summary,
      field({
        label: 'Name',
        control: name,
        path: 'name',
        hint: 'A descriptive name, e.g. “CRM Integration” or “Lead API Endpoint”.',
      }),
      field({
        label: 'Webhook URL',
        control: url,
        path: 'url',
        hint: 'The full URL of your endpoint. It must be publicly accessible and accept POST requests.',
      }),
      field({
        label: 'Data Format',
        control: format,
        path: 'format',
        hint: 'JSON is recommended. HubSpot Forms API sends the HubSpot Forms v3 shape.',
      }),
      headers.element,
      constants.element,
      leadOrders.element,
    ),
    h('div', { class: 'dialog-footer' }, cancel, save),
  );
  const errors = new FormErrors(form, summary);
  const dialog = openDialog({
    title: 'Add a webhook',
    description: 'Leads are POSTed to your URL the moment they are assigned.',
    content: form,
    initialFocus: name,
  });
  cancel.addEventListener('click', () => dialog.close());

  let saving = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (saving) return;
    errors.clear();
    const headerItems = headers.collect();
    const constantItems = constants.collect();
    const body = {
      name: name.value,
      url: url.value,
      format: format.value as PayloadFormat,
      headers: headerItems.items,
      constants: constantItems.items,
      leadOrderIds: leadOrders.collect(),
    };
    saving = true;
    save.disabled = true;
    save.textContent = 'Saving…';
    try {
      const created = await api.createEndpoint(body);
      onCreated();
      const panel = createdPanel(ctx, dialog, created);
      dialog.setContent(panel.content, panel.focus);
    } catch (error) {
      errors.show(error);
      save.disabled = false;
      save.textContent = 'Save';
    } finally {
      saving = false;
    }
  });
}
