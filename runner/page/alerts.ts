/**
 * The seller's alerts (issue 20), on the webhook list: the alert URL that operational webhooks go
 * to (a circuit opened, a delivery failed for good, an endpoint recovered), its signing secret
 * (shown once, when the first URL creates it), and "Send test alert".
 */
import { api, type AlertSettings, type TestResult } from './api.js';
import { h, replaceChildren } from './dom.js';
import { FormErrors } from './errors.js';
import { field } from './fields.js';
import { errorMessage, type ViewContext } from './view.js';

const TYPE_WORDS: Record<string, string> = {
  'circuit.opened': 'a webhook keeps failing and its deliveries are paused',
  'delivery.failed': 'a delivery failed for good',
  'endpoint.recovered': 'a paused webhook answers again',
};

function testOutcome(result: TestResult): HTMLElement {
  return result.success
    ? h(
        'p',
        { class: 'notice notice-success alert-test-result', role: 'status' },
        `Test alert delivered: HTTP ${result.httpStatus ?? '—'} in ${result.durationMs} ms.`,
      )
    : h(
        'p',
        { class: 'notice notice-error alert-test-result', role: 'alert' },
        `Test alert not delivered: ${result.error ?? `HTTP ${result.httpStatus ?? '—'}`}`,
      );
}

export function alertsSection(ctx: ViewContext): HTMLElement {
  const body = h('div', { class: 'card alerts-card' }, 'Loading your alert settings…');
  const section = h(
    'section',
    { 'aria-labelledby': 'alerts-title' },
    h('h2', { id: 'alerts-title', class: 'section-title' }, 'Alerts'),
    body,
  );
  void load();
  return section;

  async function load(): Promise<void> {
    try {
      const settings = await api.alertSettings();
      if (ctx.current()) replaceChildren(body, form(settings));
    } catch (error) {
      if (ctx.current())
        replaceChildren(body, `Alert settings unavailable: ${errorMessage(error)}`);
    }
  }

  function form(settings: AlertSettings): HTMLElement {
    const url = h('input', {
      type: 'url',
      class: 'input mono',
      autocomplete: 'off',
      spellcheck: 'false',
      inputmode: 'url',
      placeholder: 'https://ops.example.com/lead-delivery-alerts',
      value: settings.url ?? '',
    });
    const summary = h('div');
    const secret = h('div');
    const outcome = h('div', { 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', class: 'button button-primary' }, 'Save alert URL');
    const test = h(
      'button',
      { type: 'button', class: 'button', disabled: !settings.url },
      'Send test alert',
    );
    const prefix = h(
      'p',
      { class: 'hint' },
      settings.signingSecretPrefix
        ? `Alerts are signed (Standard Webhooks) with your alert secret ${settings.signingSecretPrefix}`
        : 'Alerts are signed (Standard Webhooks) with an alert secret made when you first save a URL.',
    );
    const element = h(
      'form',
      { class: 'alerts-form', novalidate: true },
      h(
        'p',
        { class: 'lede' },
        'Get a signed webhook when ',
        Object.values(TYPE_WORDS).join(', when '),
        '. Leave empty for no alerts.',
      ),
      summary,
      field({
        label: 'Alert URL',
        control: url,
        path: 'url',
        hint: 'Publicly reachable http(s) URL; checked like a webhook URL.',
      }),
      prefix,
      secret,
      h('div', { class: 'form-actions' }, save, test),
      outcome,
    );
    const errors = new FormErrors(element, summary);
    url.addEventListener('input', () => errors.clear(['url']));

    element.addEventListener('submit', async (event) => {
      event.preventDefault();
      errors.clear();
      save.disabled = true;
      try {
        const text = url.value.trim();
        const saved = await api.setAlertUrl(text === '' ? null : text);
        test.disabled = !saved.url;
        prefix.textContent = saved.signingSecretPrefix
          ? `Alerts are signed (Standard Webhooks) with your alert secret ${saved.signingSecretPrefix}`
          : prefix.textContent;
        replaceChildren(
          secret,
          saved.signingSecret
            ? h(
                'div',
                { class: 'notice secret-once' },
                h(
                  'p',
                  null,
                  'Your alert signing secret, shown only now: keep it to verify alerts.',
                ),
                h('code', { class: 'mono alert-secret' }, saved.signingSecret),
              )
            : null,
        );
        ctx.toast(saved.url ? 'Alert URL saved' : 'Alerts turned off');
      } catch (error) {
        errors.show(error);
      } finally {
        save.disabled = false;
      }
    });

    test.addEventListener('click', async () => {
      test.disabled = true;
      test.textContent = 'Sending…';
      replaceChildren(outcome);
      try {
        replaceChildren(outcome, testOutcome(await api.sendTestAlert()));
      } catch (error) {
        replaceChildren(
          outcome,
          h('p', { class: 'notice notice-error', role: 'alert' }, errorMessage(error)),
        );
      } finally {
        test.disabled = false;
        test.textContent = 'Send test alert';
      }
    });
    return element;
  }
}
