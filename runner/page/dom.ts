/**
 * A tiny element builder. Text always goes in as text nodes and attributes through setAttribute,
 * so a value from the API (an endpoint name such as `<img src=x onerror=…>`) is shown, never
 * parsed. Nothing in the page uses innerHTML.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Listener = (event: never) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Listener>;

/** Set as properties (after the children, so a select's options exist before its value). */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'open', 'indeterminate']);

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const later: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'function') {
      element.addEventListener(key.replace(/^on/, '').toLowerCase(), value as EventListener);
    } else if (PROPERTIES.has(key)) {
      later.push([key, value]);
    } else if (key === 'class') {
      element.className = String(value);
    } else if (value === false) {
      continue;
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, children);
  for (const [key, value] of later) Reflect.set(element, key, value);
  return element;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Elements a keyboard user can reach inside `root`, in tab order (visible ones only). */
export function focusables(root: Element): HTMLElement[] {
  const selector =
    'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
    'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  return Array.from(root.querySelectorAll<HTMLElement>(selector)).filter(
    (element) =>
      element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden',
  );
}

// Times are shown in the browser's time zone, with the zone named ('long' time style), and the
// exact UTC instant on hover (`utcTitle`).
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'long' });

/** The browser's time zone, e.g. `Europe/Berlin`. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A `datetime-local` value (the browser's time zone) as an ISO instant; '' when empty. */
export function localInputToIso(value: string): string {
  if (value === '') return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An instant as a `datetime-local` value in the browser's time zone. */
export function isoToLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** `2026-03-01 12:00:00.123 UTC`: the exact instant, for a title (hover). */
export function utcTitle(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(seconds)) return '';
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** `<time>` with the absolute time as text and the ISO value as its machine-readable form. */
export function timeElement(iso: string, options: { relative?: boolean } = {}): HTMLElement {
  return options.relative
    ? h(
        'time',
        { datetime: iso, title: `${formatDateTime(iso)} (${utcTitle(iso)})` },
        formatRelative(iso),
      )
    : h('time', { datetime: iso, title: utcTitle(iso) }, formatDateTime(iso));
}

/** `<time>` as two lines (date, then time), for narrow table columns. */
export function stackedTimeElement(iso: string): HTMLElement {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('time', { datetime: iso }, iso);
  return h(
    'time',
    { datetime: iso, class: 'stacked-time', title: utcTitle(iso) },
    h('span', null, dateOnly.format(date)),
    h('span', { class: 'muted' }, timeOnly.format(date)),
  );
}
