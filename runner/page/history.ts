/**
 * "Notification History": every attempt, newest first (timestamp, status, HTTP code, error,
 * attempt number, messageType, test flag), of one webhook or (all-webhooks view) of every webhook
 * of the seller, naming the webhook. Filtered by status, time range, messageType, lead id and
 * test/real, a page at a time with the API's keyset cursor ("Load more"). Details show the exact
 * payload sent with a Copy button and, for a failure, the advice chosen by its cause. "Resend" is
 * offered on a delivery's latest attempt once the delivery has ended (failed or succeeded): the
 * API says which rows (`resendable`), so an old failure of a delivery that has since succeeded
 * offers nothing.
 */
import { api, ApiError, type Attempt, type Endpoint, type HistoryFilters } from './api.js';
import { copyButton } from './copy.js';
import { browserTimeZone, h, localInputToIso, replaceChildren, stackedTimeElement } from './dom.js';
import { openReplay } from './replay.js';
import { troubleshootingNotice } from './troubleshooting.js';
import {
  badge,
  detailsPath,
  errorMessage,
  errorPanel,
  loading,
  statusBadge,
  type ViewContext,
} from './view.js';

export const HISTORY_PAGE_SIZE = 20;

export interface HistoryPanel {
  element: HTMLElement;
  refresh(): void;
}

export interface HistoryScope {
  /** One webhook's history; absent: every webhook of the seller. */
  endpoint?: Endpoint;
  /** The seller's webhooks, to name each attempt's webhook in the all-webhooks view. */
  endpoints?: readonly Endpoint[];
}

function select(id: string, options: Array<[string, string]>): HTMLSelectElement {
  return h(
    'select',
    { class: 'input input-inline', id },
    options.map(([value, label]) => h('option', { value }, label)),
  );
}

function labelled(label: string, control: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'filter' },
    h('label', { for: control.id, class: 'label-inline' }, label),
    control,
  );
}

export function historyPanel(ctx: ViewContext, scope: HistoryScope): HistoryPanel {
  const { endpoint } = scope;
  const allWebhooks = endpoint === undefined;
  const names = new Map((scope.endpoints ?? []).map((e) => [e.id, e.name]));
  const prefix = allWebhooks ? 'all-history' : 'history';

  const status = select(`${prefix}-status`, [
    ['', 'All statuses'],
    ['success', 'Success'],
    ['failure', 'Failure'],
  ]);
  const messageType = select(`${prefix}-message-type`, [
    ['', 'All message types'],
    ['new_lead', 'new_lead'],
    ['lead_update', 'lead_update'],
  ]);
  const testFilter = select(`${prefix}-test`, [
    ['', 'Tests and real'],
    ['false', 'Real deliveries only'],
    ['true', 'Tests only'],
  ]);
  const leadId = h('input', {
    class: 'input input-inline',
    id: `${prefix}-lead`,
    type: 'search',
    placeholder: 'lead_…',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const from = h('input', {
    class: 'input input-inline',
    id: `${prefix}-from`,
    type: 'datetime-local',
  });
  const to = h('input', {
    class: 'input input-inline',
    id: `${prefix}-to`,
    type: 'datetime-local',
  });
  const clearButton = h('button', { type: 'button', class: 'button button-small' }, 'Clear');
  const refreshButton = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
  const replayButton = endpoint
    ? h('button', { type: 'button', class: 'button button-small' }, 'Replay failed…')
    : null;
  const filterProblem = h('p', { class: 'field-error filter-problem', role: 'alert' });
  const count = h('p', { class: 'muted small', role: 'status' });
  const zone = h(
    'p',
    { class: 'muted small zone-note' },
    `Times are shown in your time zone (${browserTimeZone()}); hover a time for UTC.`,
  );
  const body = h('div', { class: 'history-body' }, loading('Loading the history…'));
  const more = h('button', { type: 'button', class: 'button' }, 'Load more');
  const moreRow = h('div', { class: 'load-more' }, more);
  moreRow.hidden = true;
  const tbody = h('tbody');
  /** Resend buttons by delivery: one resend answers for every row of that delivery. */
  const resendCells = new Map<string, HTMLElement[]>();
  let cursor: string | null = null;
  let shown = 0;
  let generation = 0;

  const columns = [
    'Time',
    ...(allWebhooks ? ['Webhook'] : []),
    'Status',
    'HTTP',
    'Error',
    'Attempt',
    'Message type',
    'Test',
  ];
  const table = h(
    'table',
    { class: `table responsive-table history-table${allWebhooks ? ' all-history-table' : ''}` },
    h(
      'caption',
      { class: 'visually-hidden' },
      allWebhooks
        ? 'Delivery attempts of all webhooks, newest first'
        : 'Delivery attempts, newest first',
    ),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
      ),
    ),
    tbody,
  );

  function filters(): HistoryFilters {
    return {
      status: status.value || undefined,
      messageType: messageType.value || undefined,
      test: (testFilter.value || undefined) as HistoryFilters['test'],
      leadId: leadId.value.trim() || undefined,
      from: localInputToIso(from.value) || undefined,
      to: localInputToIso(to.value) || undefined,
    };
  }

  function filtered(): boolean {
    return Object.values(filters()).some((value) => value !== undefined);
  }

  function setResendState(deliveryId: string, node: () => Node): void {
    for (const cell of resendCells.get(deliveryId) ?? []) cell.replaceChildren(node());
  }

  async function resend(deliveryId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    button.textContent = 'Resending…';
    try {
      await api.resend(deliveryId);
      setResendState(deliveryId, () =>
        h('span', { class: 'resend-note ok' }, '✓ Queued for resend'),
      );
      ctx.toast('Delivery queued again: its new attempts will appear here.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        setResendState(deliveryId, () =>
          h('span', { class: 'resend-note' }, `Not resent: ${error.message}`),
        );
      } else {
        button.disabled = false;
        button.textContent = 'Resend';
        ctx.toast(`Resend failed: ${errorMessage(error)}`, 'error');
      }
    }
  }

  function payloadPane(attempt: Attempt): HTMLElement {
    if (attempt.payload === null) {
      return h(
        'div',
        { class: 'payload-pane' },
        h('h4', null, 'Payload sent'),
        h('p', { class: 'muted small' }, 'No payload was sent.'),
      );
    }
    const payload = attempt.payload;
    const code = h('code', null, payload);
    const pre = h('pre', { class: 'code code-small payload-code', tabindex: '0' }, code);
    return h(
      'div',
      { class: 'payload-pane' },
      h(
        'div',
        { class: 'pane-head' },
        h(
          'h4',
          null,
          'Payload sent ',
          attempt.contentType
            ? h('span', { class: 'muted small mono content-type' }, attempt.contentType)
            : null,
        ),
        copyButton(() => payload, code, 'Copy', 'Copy the payload'),
      ),
      attempt.payloadTruncated
        ? h(
            'p',
            { class: 'notice notice-warning payload-cut' },
            `Only the first ${payload.length.toLocaleString()} of ${(
              attempt.payloadLength ?? 0
            ).toLocaleString()} characters are kept in the history; the whole body was sent.`,
          )
        : null,
      pre,
    );
  }

  function detailsRow(attempt: Attempt, id: string): HTMLTableRowElement {
    const headers = Object.entries(attempt.requestHeaders)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n');
    return h(
      'tr',
      { class: 'attempt-details', id, hidden: true },
      h(
        'td',
        { colspan: String(columns.length + 1) },
        h(
          'dl',
          { class: 'attempt-facts' },
          h(
            'div',
            null,
            h('dt', null, 'Delivery ID'),
            h('dd', { class: 'mono' }, attempt.deliveryId),
          ),
          h('div', null, h('dt', null, 'Lead ID'), h('dd', { class: 'mono' }, attempt.leadId)),
          h('div', null, h('dt', null, 'Duration'), h('dd', null, `${attempt.durationMs} ms`)),
          attempt.deliveryStatus
            ? h('div', null, h('dt', null, 'Delivery now'), h('dd', null, attempt.deliveryStatus))
            : null,
        ),
        attempt.notice
          ? h('p', { class: 'notice notice-warning attempt-notice' }, attempt.notice)
          : null,
        troubleshootingNotice(attempt.troubleshooting),
        payloadPane(attempt),
        h(
          'div',
          { class: 'attempt-panes' },
          h(
            'div',
            null,
            h('h4', null, 'Response from your endpoint'),
            attempt.responseExcerpt
              ? h('pre', { class: 'code code-small' }, h('code', null, attempt.responseExcerpt))
              : h('p', { class: 'muted small' }, 'No response body.'),
          ),
          h(
            'div',
            null,
            h('h4', null, 'Request headers (secrets redacted)'),
            h('pre', { class: 'code code-small' }, h('code', null, headers || '—')),
          ),
        ),
      ),
    );
  }

  function webhookCell(attempt: Attempt): HTMLElement {
    const name = names.get(attempt.endpointId);
    return h(
      'td',
      { 'data-label': 'Webhook', class: 'webhook-cell' },
      h(
        'a',
        { href: detailsPath(attempt.endpointId, 'history'), 'data-link': '' },
        name ?? attempt.endpointId,
      ),
    );
  }

  function rows(attempt: Attempt): HTMLTableRowElement[] {
    const detailsId = `attempt-${attempt.id}`;
    const details = detailsRow(attempt, detailsId);
    const when = new Date(attempt.startedAt).toLocaleString();
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'button button-ghost button-small toggle',
        'aria-expanded': 'false',
        'aria-controls': detailsId,
        'aria-label': `Details of the attempt of ${when}`,
      },
      'Details',
    );
    toggle.addEventListener('click', () => {
      const open = details.hidden;
      details.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    });
    const resendSlot = h('span', { class: 'resend-slot' });
    if (attempt.resendable) {
      const button = h(
        'button',
        {
          type: 'button',
          class: 'button button-small',
          'aria-label': `Resend the ${attempt.test ? 'test ' : ''}delivery of ${when}`,
          title:
            attempt.deliveryStatus === 'succeeded'
              ? 'Send this delivery again, with the same webhook-id, so your system can tell it is the same message'
              : 'Send this delivery again, with the same webhook-id',
        },
        'Resend',
      );
      button.addEventListener('click', () => void resend(attempt.deliveryId, button));
      resendSlot.append(button);
      const slots = resendCells.get(attempt.deliveryId) ?? [];
      slots.push(resendSlot);
      resendCells.set(attempt.deliveryId, slots);
    }
    const main = h(
      'tr',
      {
        'data-attempt-id': attempt.id,
        'data-delivery-id': attempt.deliveryId,
        class: `attempt-row${attempt.status === 'failure' ? ' is-failure' : ''}`,
      },
      h('td', { 'data-label': 'Time', class: 'nowrap' }, stackedTimeElement(attempt.startedAt)),
      allWebhooks ? webhookCell(attempt) : null,
      h('td', { 'data-label': 'Status' }, statusBadge(attempt.status)),
      h(
        'td',
        { 'data-label': 'HTTP', class: 'mono' },
        attempt.httpStatus === null ? '—' : String(attempt.httpStatus),
      ),
      h(
        'td',
        { 'data-label': 'Error', class: 'error-cell' },
        attempt.error ?? h('span', { class: 'muted' }, '—'),
      ),
      h('td', { 'data-label': 'Attempt' }, `#${attempt.attempt}`),
      h('td', { 'data-label': 'Message type' }, h('code', null, attempt.messageType)),
      h(
        'td',
        { 'data-label': 'Test' },
        attempt.test ? badge('Test', 'warning') : h('span', { class: 'muted' }, 'No'),
      ),
      h('td', { class: 'actions-cell' }, toggle, resendSlot),
    );
    return [main, details];
  }

  function emptyState(): HTMLElement {
    const narrowed = filtered();
    return h(
      'div',
      { class: 'empty-state' },
      h('h3', null, narrowed ? 'No attempts match these filters' : 'No attempts yet'),
      h(
        'p',
        null,
        narrowed
          ? 'Change or clear the filters to see the others.'
          : allWebhooks
            ? 'Every delivery attempt of every webhook appears here.'
            : 'Every delivery attempt appears here. Use “Send test” to try your endpoint now.',
      ),
    );
  }

  async function load(reset: boolean): Promise<void> {
    generation += 1;
    const mine = generation;
    filterProblem.textContent = '';
    if (reset) {
      cursor = null;
      shown = 0;
      resendCells.clear();
      replaceChildren(body, loading('Loading the history…'));
      moreRow.hidden = true;
    } else {
      more.disabled = true;
      more.textContent = 'Loading…';
    }
    try {
      const page = await api.history(endpoint?.id ?? null, {
        ...filters(),
        cursor: reset ? undefined : (cursor ?? undefined),
        limit: HISTORY_PAGE_SIZE,
      });
      if (mine !== generation || !ctx.current()) return;
      if (reset) tbody.replaceChildren();
      tbody.append(...page.items.flatMap(rows));
      shown += page.items.length;
      cursor = page.nextCursor;
      if (shown === 0) replaceChildren(body, emptyState());
      else if (reset) replaceChildren(body, h('div', { class: 'table-wrap' }, table));
      count.textContent =
        shown === 0
          ? ''
          : `Showing ${shown} attempt${shown === 1 ? '' : 's'}${cursor ? ' (more available)' : ''}`;
      moreRow.hidden = cursor === null;
    } catch (error) {
      if (mine !== generation || !ctx.current()) return;
      if (error instanceof ApiError && error.status === 400 && error.details.length > 0) {
        filterProblem.textContent = error.details
          .map((detail) => `${detail.path}: ${detail.message}`)
          .join('; ');
        replaceChildren(body, emptyState());
      } else if (reset)
        replaceChildren(
          body,
          errorPanel(error, () => void load(true)),
        );
      else ctx.toast(`Could not load more: ${errorMessage(error)}`, 'error');
    } finally {
      more.disabled = false;
      more.textContent = 'Load more';
    }
  }

  for (const control of [status, messageType, testFilter, from, to]) {
    control.addEventListener('change', () => void load(true));
  }
  let leadTimer: ReturnType<typeof setTimeout> | undefined;
  leadId.addEventListener('input', () => {
    clearTimeout(leadTimer);
    leadTimer = setTimeout(() => void load(true), 300);
  });
  leadId.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    clearTimeout(leadTimer);
    void load(true);
  });
  clearButton.addEventListener('click', () => {
    for (const control of [status, messageType, testFilter]) control.value = '';
    for (const control of [leadId, from, to]) control.value = '';
    void load(true);
  });
  refreshButton.addEventListener('click', () => void load(true));
  more.addEventListener('click', () => void load(false));
  replayButton?.addEventListener('click', () => {
    if (endpoint) openReplay(ctx, endpoint, () => void load(true));
  });

  const titleId = allWebhooks ? 'all-history-title' : 'history-title';
  const element = h(
    'section',
    { class: 'card card-flush history-card', 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'card-head' },
      h(
        'h2',
        { id: titleId, class: 'card-title' },
        allWebhooks ? 'All webhooks' : 'Notification History',
      ),
      h('div', { class: 'toolbar' }, replayButton, refreshButton),
    ),
    h(
      'div',
      { class: 'history-filters', role: 'group', 'aria-label': 'Filter the history' },
      labelled('Status', status),
      labelled('Message type', messageType),
      labelled('Test', testFilter),
      labelled('Lead ID', leadId),
      labelled('From', from),
      labelled('To', to),
      clearButton,
    ),
    filterProblem,
    zone,
    count,
    body,
    moreRow,
  );
  void load(true);
  return { element, refresh: () => void load(true) };
}
