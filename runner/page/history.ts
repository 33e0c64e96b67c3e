/**
 * "Notification History": every attempt, newest first (timestamp, status, HTTP code, error,
 * attempt number, messageType, test flag), filtered by status, a page at a time with the API's
 * keyset cursor ("Load more"), and "Resend" on failed rows.
 */
import { api, ApiError, type Attempt, type Endpoint } from './api.js';
import { h, replaceChildren, stackedTimeElement } from './dom.js';
import { badge, errorMessage, errorPanel, loading, statusBadge, type ViewContext } from './view.js';

export const HISTORY_PAGE_SIZE = 20;

type Filter = '' | 'success' | 'failure';

export interface HistoryPanel {
  element: HTMLElement;
  refresh(): void;
}

export function historyPanel(ctx: ViewContext, endpoint: Endpoint): HistoryPanel {
  const filter = h(
    'select',
    { class: 'input input-inline', id: 'history-status' },
    h('option', { value: '' }, 'All statuses'),
    h('option', { value: 'success' }, 'Success'),
    h('option', { value: 'failure' }, 'Failure'),
  );
  const refreshButton = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
  const count = h('p', { class: 'muted small', role: 'status' });
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

  const table = h(
    'table',
    { class: 'table responsive-table history-table' },
    h('caption', { class: 'visually-hidden' }, 'Delivery attempts, newest first'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Time', 'Status', 'HTTP', 'Error', 'Attempt', 'Message type', 'Test'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
      ),
    ),
    tbody,
  );

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

  function detailsRow(attempt: Attempt, id: string): HTMLTableRowElement {
    const headers = Object.entries(attempt.requestHeaders)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n');
    return h(
      'tr',
      { class: 'attempt-details', id, hidden: true },
      h(
        'td',
        { colspan: '8' },
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
        ),
        attempt.notice
          ? h('p', { class: 'notice notice-warning attempt-notice' }, attempt.notice)
          : null,
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
    if (attempt.status === 'failure') {
      const button = h(
        'button',
        {
          type: 'button',
          class: 'button button-small',
          'aria-label': `Resend the ${attempt.test ? 'test ' : ''}delivery of ${when}`,
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
        class: `attempt-row${attempt.status === 'failure' ? ' is-failure' : ''}`,
      },
      h('td', { 'data-label': 'Time', class: 'nowrap' }, stackedTimeElement(attempt.startedAt)),
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

  async function load(reset: boolean): Promise<void> {
    generation += 1;
    const mine = generation;
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
      const page = await api.history(endpoint.id, {
        status: filter.value || undefined,
        cursor: reset ? undefined : (cursor ?? undefined),
        limit: HISTORY_PAGE_SIZE,
      });
      if (mine !== generation || !ctx.current()) return;
      if (reset) tbody.replaceChildren();
      tbody.append(...page.items.flatMap(rows));
      shown += page.items.length;
      cursor = page.nextCursor;
      const status = filter.value as Filter;
      if (shown === 0) {
        replaceChildren(
          body,
          h(
            'div',
            { class: 'empty-state' },
            h('h3', null, status === '' ? 'No attempts yet' : `No ${status} attempts`),
            h(
              'p',
              null,
              status === ''
                ? 'Every delivery attempt appears here. Use “Send test” to try your endpoint now.'
                : 'Change the status filter to see the others.',
            ),
          ),
        );
      } else if (reset) {
        replaceChildren(body, h('div', { class: 'table-wrap' }, table));
      }
      count.textContent =
        shown === 0
          ? ''
          : `Showing ${shown} attempt${shown === 1 ? '' : 's'}${cursor ? ' (more available)' : ''}`;
      moreRow.hidden = cursor === null;
    } catch (error) {
      if (mine !== generation || !ctx.current()) return;
      if (reset)
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

  filter.addEventListener('change', () => void load(true));
  refreshButton.addEventListener('click', () => void load(true));
  more.addEventListener('click', () => void load(false));

  const element = h(
    'section',
    { class: 'card card-flush', 'aria-labelledby': 'history-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'history-title', class: 'card-title' }, 'Notification History'),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { for: 'history-status', class: 'label-inline' }, 'Status'),
        filter,
        refreshButton,
      ),
    ),
    count,
    body,
    moreRow,
  );
  void load(true);
  return { element, refresh: () => void load(true) };
}
