/**
 * Deleting a webhook and rotating its signing secret, each behind a dialog that says what will
 * happen: a delete takes the webhook's pending and retrying deliveries with it (they are never
 * sent) and its history; a rotation shows the new secret once, and the old one keeps signing
 * alongside it for 24 hours so the receiver can switch over.
 */
import { api, type Endpoint } from './api.js';
import { copyButton } from './copy.js';
import { openDialog, type DialogHandle } from './dialog.js';
import { formatDateTime, h, replaceChildren, type Child } from './dom.js';
import { errorMessage, type ViewContext } from './view.js';

interface ConfirmOptions {
  title: string;
  /** What will happen, shown above the buttons. */
  body: Child;
  confirmLabel: string;
  busyLabel: string;
  danger?: boolean;
  /** Starts the refusal shown in the dialog, e.g. "Not deleted: ". */
  failedPrefix: string;
  /** Focus Cancel on open rather than the first control (for what cannot be undone). */
  focusCancel?: boolean;
  /** Does the work; a rejection is shown in the dialog and the button is offered again. */
  act(dialog: DialogHandle): Promise<void>;
}

/** A dialog that says what an action will do and does it only on confirmation. */
function openConfirm(options: ConfirmOptions): void {
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'submit', class: `button ${options.danger ? 'button-danger' : 'button-primary'}` },
    options.confirmLabel,
  );
  const problem = h('div', { role: 'alert' });
  const form = h(
    'form',
    { class: 'confirm-form' },
    h('div', { class: 'dialog-body' }, problem, options.body),
    h('div', { class: 'dialog-footer' }, cancel, confirm),
  );
  const dialog = openDialog({
    title: options.title,
    content: form,
    ...(options.focusCancel ? { initialFocus: cancel } : {}),
  });
  cancel.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    confirm.textContent = options.busyLabel;
    try {
      await options.act(dialog);
    } catch (error) {
      replaceChildren(
        problem,
        h(
          'p',
          { class: 'notice notice-error' },
          h('strong', null, options.failedPrefix),
          errorMessage(error),
        ),
      );
      confirm.disabled = false;
      confirm.textContent = options.confirmLabel;
    }
  });
}

export function openDeleteWebhook(
  ctx: ViewContext,
  endpoint: Endpoint,
  onDeleted: () => void,
): void {
  openConfirm({
    title: 'Delete this webhook?',
    body: [
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
    ],
    confirmLabel: 'Delete webhook',
    busyLabel: 'Deleting…',
    danger: true,
    failedPrefix: 'Not deleted: ',
    focusCancel: true,
    async act(dialog) {
      await api.deleteEndpoint(endpoint.id);
      dialog.close();
      ctx.toast(`Webhook “${endpoint.name}” deleted`);
      onDeleted();
    },
  });
}

export function openRotateSecret(
  ctx: ViewContext,
  endpoint: Endpoint,
  onRotated: () => void,
): void {
  openConfirm({
    title: 'Rotate the signing secret?',
    body: [
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
    ],
    confirmLabel: 'Rotate secret',
    busyLabel: 'Rotating…',
    failedPrefix: 'Not rotated: ',
    async act(dialog) {
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
    },
  });
}
