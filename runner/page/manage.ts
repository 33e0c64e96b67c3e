/**
 * Deleting a webhook and rotating its signing secret, each behind a dialog that says what will
 * happen: a delete takes the webhook's pending and retrying deliveries with it (they are never
 * sent) and its history; a rotation shows the new secret once, and the old one keeps signing
 * alongside it for 24 hours so the receiver can switch over.
 */
import { api, type Endpoint } from './api.js';
import { copyButton } from './copy.js';
import { openDialog } from './dialog.js';
import { formatDateTime, h, replaceChildren } from './dom.js';
import { errorMessage, type ViewContext } from './view.js';

export function openDeleteWebhook(
  ctx: ViewContext,
  endpoint: Endpoint,
  onDeleted: () => void,
): void {
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'button button-danger' }, 'Delete webhook');
  const problem = h('div', { role: 'alert' });
  const form = h(
    'form',
    { class: 'confirm-form' },
    h(
      'div',
      { class: 'dialog-body' },
      problem,
      h(
        'p',
        null,
        'Deleting ',
        h('strong', null, endpoint.name),
        ' stops all deliveries to ',
        h('span', { class: 'mono break' }, endpoint.url),
        '.',
      ),
      h(
        'ul',
        { class: 'consequences' },
        h(
          'li',
          null,
          'Its pending deliveries and those waiting for a retry are deleted and will ',
          h('strong', null, 'not'),
          ' be sent. A delivery being sent at this very moment may still arrive.',
        ),
        h('li', null, 'Its notification history goes with it.'),
        h('li', null, 'Leads themselves are kept; other webhooks are not affected.'),
      ),
      h('p', null, 'This cannot be undone.'),
    ),
    h('div', { class: 'dialog-footer' }, cancel, confirm),
  );
  const dialog = openDialog({
    title: 'Delete this webhook?',
    content: form,
    initialFocus: cancel,
  });
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    confirm.textContent = 'Deleting…';
    try {
      await api.deleteEndpoint(endpoint.id);
      dialog.close();
      ctx.toast(`Webhook “${endpoint.name}” deleted`);
      onDeleted();
    } catch (error) {
      replaceChildren(
        problem,
        h(
          'p',
          { class: 'notice notice-error' },
          h('strong', null, 'Not deleted: '),
          errorMessage(error),
        ),
      );
      confirm.disabled = false;
      confirm.textContent = 'Delete webhook';
    }
  });
}

export function openRotateSecret(
  ctx: ViewContext,
  endpoint: Endpoint,
  onRotated: () => void,
): void {
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: 'button button-primary' }, 'Rotate secret');
  const problem = h('div', { role: 'alert' });
  const form = h(
    'form',
    { class: 'confirm-form' },
    h(
      'div',
      { class: 'dialog-body' },
      problem,
      h(
        'p',
        null,
        'A new signing secret replaces ',
        h('span', { class: 'mono' }, endpoint.signingSecretPrefix),
        '. It is shown only once, right after you rotate.',
      ),
      h(
        'p',
        null,
        'For the next 24 hours every delivery is signed with ',
        h('strong', null, 'both'),
        ' secrets (two signatures in ',
        h('code', null, 'webhook-signature'),
        '), so your system keeps verifying while you switch it to the new one. After that, only the new secret signs.',
      ),
    ),
    h('div', { class: 'dialog-footer' }, cancel, confirm),
  );
  const dialog = openDialog({ title: 'Rotate the signing secret?', content: form });
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    confirm.textContent = 'Rotating…';
    try {
      const rotated = await api.rotateSecret(endpoint.id);
      onRotated();
      const secret = h(
        'code',
        { class: 'secret-value', 'data-testid': 'new-secret' },
        rotated.signingSecret,
      );
      const copy = copyButton(() => rotated.signingSecret, secret, 'Copy', 'Copy the new secret');
      const done = h('button', { type: 'button', class: 'button button-primary' }, 'Done');
      done.addEventListener('click', () => dialog.close());
      dialog.setContent(
        h(
          'div',
          null,
          h(
            'div',
            { class: 'dialog-body' },
            h(
              'p',
              { class: 'notice notice-success' },
              h('strong', null, 'New signing secret. It is shown only now:'),
              ' copy it into your receiving system.',
            ),
            h('div', { class: 'secret-box' }, secret, copy),
            h(
              'p',
              { class: 'hint' },
              'Both the old and the new secret sign every delivery until ',
              h(
                'time',
                { datetime: rotated.previousSecretExpiresAt },
                formatDateTime(rotated.previousSecretExpiresAt),
              ),
              ' (24 hours); after that only the new one does.',
            ),
          ),
          h('div', { class: 'dialog-footer' }, done),
        ),
        copy,
      );
      ctx.toast('Signing secret rotated');
    } catch (error) {
      replaceChildren(
        problem,
        h(
          'p',
          { class: 'notice notice-error' },
          h('strong', null, 'Not rotated: '),
          errorMessage(error),
        ),
      );
      confirm.disabled = false;
      confirm.textContent = 'Rotate secret';
    }
  });
}
