/**
 * A webhook's details page: summary, "Send test" with its result (status, HTTP code, duration,
 * error, the exact payload sent), "Settings", and the "Notification History" tab.
 */
import type { PayloadFormat } from '../../core/types.js';
import {
  api,
  ApiError,
  type CatalogueField,
  type Endpoint,
  type LeadOrder,
  type TestResult,
} from './api.js';
import { copyButton } from './copy.js';
import { h, replaceChildren, timeElement, uid, type Child } from './dom.js';
import { historyPanel, type HistoryPanel } from './history.js';
import { FORMAT_SHORT, TYPE_SHORT } from './labels.js';
import { openDeleteWebhook, openRotateSecret } from './manage.js';
import { troubleshootingNotice } from './troubleshooting.js';
import { prettyBody } from './mappings.js';
import { openSettings } from './settings.js';
import {
  badge,
  breadcrumb,
  circuitBadge,
  circuitNotice,
  detailsPath,
  enabledBadge,
  errorMessage,
  errorPanel,
  heading,
  lastDeliveryCell,
  loading,
  type ViewContext,
} from './view.js';

interface TestEntry {
  result: TestResult;
  at: string;
  format: PayloadFormat;
}

/** The last test per endpoint, kept while the page is open so switching tabs keeps it. */
const lastTests = new Map<string, TestEntry>();

function fact(label: string, value: Child): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value));
}

function testResultPanel(entry: TestEntry, onDismiss: () => void): HTMLElement {
  const { result } = entry;
  const titleId = uid('test-title');
  const payload = result.payload;
  return h(
    'section',
    {
      class: `card test-result ${result.success ? 'is-success' : 'is-failure'}`,
      'aria-labelledby': titleId,
      'data-testid': 'test-result',
    },
    h(
      'div',
      { class: 'test-result-head' },
      h(
        'h2',
        { id: titleId, class: 'card-title' },
        h('span', { class: 'result-icon', 'aria-hidden': 'true' }, result.success ? '✓' : '✕'),
        result.success ? 'Test succeeded' : 'Test failed',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          'aria-label': 'Dismiss the test result',
          onclick: onDismiss,
        },
        '×',
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact(
        'HTTP status',
        result.httpStatus === null
          ? h('span', { class: 'muted' }, 'No response')
          : h('span', { class: 'mono' }, String(result.httpStatus)),
      ),
      fact('Duration', `${Math.round(result.durationMs)} ms`),
      fact('Sent', timeElement(entry.at)),
    ),
    result.error
      ? h(
          'p',
          { class: 'notice notice-error test-error' },
          h('strong', null, 'Error: '),
          result.error,
        )
      : null,
    troubleshootingNotice(result.troubleshooting),
    result.responseExcerpt
      ? h(
          'details',
          { class: 'inline-details', open: !result.success },
          h('summary', null, 'Response from your endpoint'),
          h('pre', { class: 'code code-small' }, h('code', null, result.responseExcerpt)),
        )
      : null,
    payloadHeading(entry, payload),
    payload === null
      ? h('p', { class: 'muted' }, 'No payload was sent.')
      : h(
          'pre',
          { class: 'code', 'data-testid': 'test-payload', tabindex: '0' },
          h('code', null, prettyBody(payload, entry.format)),
        ),
    h(
      'p',
      { class: 'hint' },
      'Test requests carry the header ',
      h('code', null, 'webhook-test: true'),
      ': your system can use it to keep the sample lead out of its records.',
    ),
  );
}

/** "Payload sent (JSON) application/json [Copy]": copies the body exactly as it was sent. */
function payloadHeading(entry: TestEntry, payload: string | null): HTMLElement {
  const shown = h('span', { class: 'visually-hidden' }, payload ?? '');
  return h(
    'div',
    { class: 'pane-head' },
    h(
      'h3',
      { class: 'subheading' },
      'Payload sent ',
      h('span', { class: 'muted small' }, `(${FORMAT_SHORT[entry.format]})`),
      entry.result.contentType
        ? h('span', { class: 'muted small mono content-type' }, ` ${entry.result.contentType}`)
        : null,
    ),
    payload === null ? null : [shown, copyButton(() => payload, shown, 'Copy', 'Copy the payload')],
  );
}

function list(items: Child[], empty: string): Child {
  if (items.length === 0) return h('span', { class: 'muted' }, empty);
  return h(
    'ul',
    { class: 'plain-list' },
    items.map((item) => h('li', null, item)),
  );
}

function limitsText(maxConcurrency: number | null, ratePerSecond: number | null): string {
  const parts = [
    maxConcurrency === null ? null : `at most ${maxConcurrency} at once`,
    ratePerSecond === null ? null : `at most ${ratePerSecond} per second`,
  ].filter(Boolean);
  return parts.length === 0 ? 'None' : parts.join(', ');
}

function summaryCard(
  endpoint: Endpoint,
  orders: readonly LeadOrder[],
  rotate: HTMLElement,
): HTMLElement {
  const orderNames = new Map(orders.map((o) => [o.id, o.name]));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'summary-title' },
    h('h2', { id: 'summary-title', class: 'card-title' }, 'Endpoint'),
    h(
      'dl',
      { class: 'summary-list' },
      fact('Webhook URL', h('span', { class: 'mono break' }, endpoint.url)),
      fact('Data Format', FORMAT_SHORT[endpoint.format]),
      fact('Type', TYPE_SHORT[endpoint.type]),
      fact('Status', enabledBadge(endpoint.enabled)),
      fact('Timeout', `${endpoint.timeoutMs} ms`),
      'maxConcurrency' in endpoint
        ? fact(
            'Delivery limits',
            limitsText(endpoint.maxConcurrency ?? null, endpoint.rateLimitPerSecond ?? null),
          )
        : null,
      fact(
        'Attached Lead Orders',
        endpoint.leadOrderIds.length === 0
          ? 'All lead orders (default)'
          : list(
              endpoint.leadOrderIds.map((id) => orderNames.get(id) ?? id),
              '',
            ),
      ),
      fact(
        'HTTP Headers',
        list(
          endpoint.headers.map((header) => [
            h('span', { class: 'mono' }, header.name),
            ': ',
            h('span', { class: 'mono muted' }, header.value),
          ]),
          'None',
        ),
      ),
      fact(
        'Constants',
        list(
          endpoint.constants.map((c) => [
            h('span', { class: 'mono' }, c.key),
            ' = ',
            h('span', { class: 'mono' }, c.value),
          ]),
          'None',
        ),
      ),
      fact(
        'Signing secret',
        h(
          'span',
          { class: 'secret-fact' },
          h('span', { class: 'mono' }, endpoint.signingSecretPrefix),
          rotate,
        ),
      ),
      fact('Last delivery', lastDeliveryCell(endpoint.lastDelivery)),
      fact('Created', timeElement(endpoint.createdAt)),
    ),
  );
}

function mappingsCard(
  endpoint: Endpoint,
  fields: readonly CatalogueField[],
  adjust: () => void,
): HTMLElement {
  const labels = new Map(fields.map((f) => [f.key, f.label]));
  return h(
    'section',
    { class: 'card card-flush', 'aria-labelledby': 'mappings-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'mappings-title', class: 'card-title' }, 'Field Mappings'),
      h('button', { type: 'button', class: 'button button-small', onclick: adjust }, 'Adjust'),
    ),
    endpoint.fieldMappings.length === 0
      ? h('p', { class: 'empty-note pad' }, 'No fields mapped.')
      : h(
          'table',
          { class: 'table compact-table mappings-table' },
          h('caption', { class: 'visually-hidden' }, 'Field mappings'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Top Provider Field'),
              h('th', { scope: 'col' }, 'Output Field Name'),
            ),
          ),
          h(
            'tbody',
            null,
            endpoint.fieldMappings.map((m) =>
              h(
                'tr',
                null,
                h('td', null, labels.get(m.field) ?? m.field),
                h('td', null, h('code', null, m.output)),
              ),
            ),
          ),
        ),
  );
}

export async function renderDetails(
  ctx: ViewContext,
  id: string,
  tab: 'overview' | 'history',
): Promise<void> {
  const tabSwitch = ctx.previousPath?.startsWith(detailsPath(id)) ?? false;
  ctx.setTitle(tab === 'history' ? 'Notification History' : 'Webhook details');
  if (!tabSwitch) replaceChildren(ctx.main, loading('Loading the webhook…'));

  let endpoint: Endpoint;
  let orders: LeadOrder[];
  let fields: CatalogueField[];
  try {
    [endpoint, orders, fields] = await Promise.all([
      api.endpoint(id),
      api.leadOrders().catch(() => []),
      api.fields().catch(() => []),
    ]);
  } catch (error) {
    if (!ctx.current()) return;
    if (error instanceof ApiError && error.status === 404) {
      ctx.setTitle('Webhook not found');
      replaceChildren(
        ctx.main,
        heading('Webhook not found'),
        h(
          'p',
          null,
          'It may have been deleted. ',
          h('a', { href: '/delivery', 'data-link': '' }, 'Back to your webhooks'),
        ),
      );
    } else {
      replaceChildren(
        ctx.main,
        errorPanel(error, () => void renderDetails(ctx, id, tab)),
      );
    }
    return;
  }
  if (!ctx.current()) return;

  let history: HistoryPanel | null = null;
  const resultSlot = h('div', { class: 'test-slot', 'aria-live': 'polite' });
  const sendButton = h('button', { type: 'button', class: 'button button-primary' }, 'Send test');
  const settingsButton = h('button', { type: 'button', class: 'button' }, 'Settings');
  const deleteButton = h(
    'button',
    { type: 'button', class: 'button button-danger-ghost' },
    'Delete',
  );
  deleteButton.addEventListener('click', () =>
    openDeleteWebhook(ctx, endpoint, () => ctx.navigate('/delivery')),
  );
  const rotateButton = () =>
    h(
      'button',
      {
        type: 'button',
        class: 'button button-small',
        onclick: () =>
          openRotateSecret(ctx, endpoint, () => {
            api.endpoint(id).then(
              (fresh) => {
                endpoint = fresh;
                if (ctx.current()) paint();
              },
              () => undefined,
            );
          }),
      },
      'Rotate secret',
    );
  const title = heading(endpoint.name);
  const headBadges = h('div', { class: 'badges' });
  const urlLine = h('p', { class: 'url-line mono break' });
  const panel = h('div', { class: 'tab-panel' });
  const circuitSlot = h('div');

  const showResult = () => {
    const entry = lastTests.get(id);
    replaceChildren(
      resultSlot,
      entry
        ? testResultPanel(entry, () => {
            lastTests.delete(id);
            showResult();
            sendButton.focus();
          })
        : null,
    );
  };

  const paint = () => {
    ctx.setTitle(endpoint.name);
    title.textContent = endpoint.name;
    urlLine.textContent = endpoint.url;
    replaceChildren(circuitSlot, circuitNotice(endpoint.circuit));
    replaceChildren(
      headBadges,
      enabledBadge(endpoint.enabled),
      circuitBadge(endpoint.circuit),
      badge(FORMAT_SHORT[endpoint.format], 'neutral'),
      badge(TYPE_SHORT[endpoint.type], 'neutral'),
    );
    if (tab === 'overview') {
      replaceChildren(
        panel,
        h(
          'div',
          { class: 'details-grid' },
          summaryCard(endpoint, orders, rotateButton()),
          mappingsCard(endpoint, fields, () => settings({ openMappings: true })),
        ),
      );
    }
  };

  const settings = (options: { openMappings?: boolean } = {}) =>
    void openSettings(
      ctx,
      endpoint,
      (updated) => {
        endpoint = updated;
        if (ctx.current()) paint();
      },
      options,
    );

  settingsButton.addEventListener('click', () => settings());
  sendButton.addEventListener('click', async () => {
    sendButton.disabled = true;
    sendButton.textContent = 'Sending…';
    replaceChildren(
      resultSlot,
      h(
        'p',
        { class: 'loading', role: 'status' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        'Sending a test lead…',
      ),
    );
    try {
      const result = await api.sendTest(id);
      lastTests.set(id, { result, at: new Date().toISOString(), format: endpoint.format });
      if (!ctx.current()) return;
      showResult();
      history?.refresh();
      api.endpoint(id).then(
        (fresh) => {
          endpoint = fresh;
          if (ctx.current()) paint();
        },
        () => undefined,
      );
    } catch (error) {
      if (!ctx.current()) return;
      replaceChildren(
        resultSlot,
        h(
          'p',
          { class: 'notice notice-error', role: 'alert' },
          h('strong', null, 'The test could not be sent: '),
          errorMessage(error),
        ),
      );
    } finally {
      sendButton.disabled = false;
      sendButton.textContent = 'Send test';
    }
  });

  const tabLink = (which: 'overview' | 'history', label: string) =>
    h(
      'a',
      {
        href: detailsPath(id, which),
        'data-link': '',
        class: 'tab',
        'aria-current': which === tab ? 'page' : undefined,
      },
      label,
    );
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Webhook sections' },
    tabLink('overview', 'Details'),
    tabLink('history', 'Notification History'),
  );

  paint();
  showResult();
  if (tab === 'history') {
    history = historyPanel(ctx, { endpoint });
    panel.append(history.element);
  }
  replaceChildren(
    ctx.main,
    breadcrumb('Webhook details'),
    h(
      'div',
      { class: 'page-head' },
      h('div', { class: 'page-head-text' }, title, urlLine, headBadges),
      h('div', { class: 'page-actions' }, deleteButton, settingsButton, sendButton),
    ),
    circuitSlot,
    resultSlot,
    tabs,
    panel,
  );
  if (tabSwitch) tabs.querySelector<HTMLElement>('[aria-current="page"]')?.focus();
  else if (ctx.focusHeading) title.focus();
}
