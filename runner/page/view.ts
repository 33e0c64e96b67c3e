/** What every view gets, and the small pieces the views share. */
import { ApiError, type Circuit, type LastDelivery } from './api.js';
import { h, timeElement } from './dom.js';

export interface ViewContext {
  main: HTMLElement;
  navigate(path: string, options?: { replace?: boolean }): void;
  toast(message: string, kind?: 'success' | 'error' | 'info'): void;
  /** False once the user has moved on: a late answer must not repaint the page. */
  current(): boolean;
  setTitle(title: string): void;
  /** True after an in-page navigation: the view moves the focus to its heading. */
  focusHeading: boolean;
  /** The path shown before this one (null on the first render). */
  previousPath: string | null;
}

export function heading(text: string): HTMLHeadingElement {
  return h('h1', { class: 'page-title', tabindex: '-1' }, text);
}

/** The trail above a page's heading: the webhook list, then the page the seller is on. */
export function breadcrumb(current: string): HTMLElement {
  return h(
    'nav',
    { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
    h('a', { href: '/delivery', 'data-link': '' }, 'Notifications & Integrations'),
    h('span', { 'aria-hidden': 'true' }, ' / '),
    h('span', { 'aria-current': 'page' }, current),
  );
}

export function loading(text = 'Loading…'): HTMLElement {
  return h(
    'p',
    { class: 'loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    text,
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A failed load, with a way to try again. */
export function errorPanel(error: unknown, retry: () => void): HTMLElement {
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    h('p', null, h('strong', null, 'Could not load this. '), errorMessage(error)),
    h('button', { type: 'button', class: 'button button-small', onclick: retry }, 'Try again'),
  );
}

export function badge(
  text: string,
  kind: 'success' | 'failure' | 'neutral' | 'info' | 'warning',
): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function statusBadge(status: 'success' | 'failure'): HTMLElement {
  return status === 'success' ? badge('Success', 'success') : badge('Failure', 'failure');
}

export function enabledBadge(enabled: boolean): HTMLElement {
  return enabled ? badge('Enabled', 'info') : badge('Disabled', 'neutral');
}

/** "Paused" while the circuit breaker holds deliveries back (open or probing). */
export function circuitBadge(circuit: Circuit | undefined): HTMLElement | null {
  if (!circuit || circuit.state === 'closed') return null;
  return badge(circuit.state === 'open' ? 'Paused' : 'Probing', 'warning');
}

/** Why deliveries are held, and until when; null while they flow. */
export function circuitNotice(circuit: Circuit | undefined): HTMLElement | null {
  if (!circuit || circuit.state === 'closed') return null;
  return h(
    'div',
    { class: 'notice notice-warning', role: 'status' },
    h(
      'strong',
      null,
      circuit.state === 'open'
        ? 'Deliveries to this webhook are paused. '
        : 'Deliveries to this webhook are being retried carefully. ',
    ),
    `${circuit.consecutiveFailures} attempts in a row failed`,
    circuit.lastError ? ` (last: ${circuit.lastError})` : '',
    '. ',
    circuit.state === 'open' && circuit.nextProbeAt
      ? ['One delivery will be tried at ', timeElement(circuit.nextProbeAt), '; ']
      : circuit.state === 'half_open'
        ? 'One delivery is being tried now; '
        : '',
    'nothing is dropped: held deliveries go out once your endpoint answers again.',
  );
}

export function lastDeliveryCell(last: LastDelivery | null): HTMLElement {
  if (!last) return h('span', { class: 'muted' }, 'No deliveries yet');
  return h(
    'span',
    { class: 'last-delivery' },
    h(
      'span',
      { class: 'last-delivery-status' },
      statusBadge(last.status),
      last.httpStatus !== null ? h('span', { class: 'mono' }, ` HTTP ${last.httpStatus}`) : null,
    ),
    h('span', { class: 'muted small block' }, timeElement(last.at, { relative: true })),
  );
}

export function detailsPath(id: string, tab: 'overview' | 'history' = 'overview'): string {
  const base = `/delivery/webhooks/${encodeURIComponent(id)}`;
  return tab === 'history' ? `${base}/history` : base;
}
