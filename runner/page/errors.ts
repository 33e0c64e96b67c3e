/**
 * Validation problems shown where they belong. Every form control that the API can name carries
 * `data-path` (`url`, `headers.1.value`, `fieldMappings.2.output`, …) and sits in a `.field`
 * whose own `.field-error` takes the message. A path with no control of its own falls back to
 * its closest named parent (`leadOrderIds.3` → the lead order list); anything still unplaced is
 * listed in the summary at the top of the form.
 */
import { ApiError, type ErrorDetail } from './api.js';
import { h, replaceChildren } from './dom.js';

/** `fieldMappings[2].output` (core's problems) → `fieldMappings.2.output` (the API's paths). */
export function apiPath(path: string): string {
  return path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
}

function startsWithAny(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
}

export class FormErrors {
  constructor(
    private readonly root: HTMLElement,
    private readonly summary: HTMLElement,
  ) {
    summary.classList.add('error-summary');
    summary.setAttribute('role', 'alert');
    summary.setAttribute('tabindex', '-1');
    summary.hidden = true;
    // An edited control loses its message at once (a fixed URL must not stay marked until Save).
    // Capture phase: it runs before the control's own listeners, so live validation that marks
    // the control again (mappings, constants) still has the last word.
    const onEdit = (event: Event) => {
      const control = event.target instanceof HTMLElement ? event.target : null;
      const path = control?.dataset.invalidFor;
      if (path) this.clear([path]);
    };
    root.addEventListener('input', onEdit, true);
    root.addEventListener('change', onEdit, true);
  }

  /** Removes the messages under `prefixes` (every message, and the summary, when none given). */
  clear(prefixes?: readonly string[]): void {
    for (const slot of this.root.querySelectorAll<HTMLElement>('.field-error')) {
      if (prefixes && !startsWithAny(slot.dataset.for ?? '', prefixes)) continue;
      slot.replaceChildren();
      delete slot.dataset.for;
    }
    for (const control of this.root.querySelectorAll<HTMLElement>('[data-invalid-for]')) {
      if (prefixes && !startsWithAny(control.dataset.invalidFor ?? '', prefixes)) continue;
      control.removeAttribute('aria-invalid');
      delete control.dataset.invalidFor;
    }
    if (!prefixes) {
      this.summary.hidden = true;
      this.summary.replaceChildren();
    }
  }

  /** The control a path names, or its closest named parent; null when none is on the form. */
  private controlFor(path: string): HTMLElement | null {
    const segments = path.split('.');
    while (segments.length > 0) {
      const candidate = segments.join('.');
      const control = this.root.querySelector<HTMLElement>(
        `[data-path="${CSS.escape(candidate)}"]`,
      );
      if (control) return control;
      segments.pop();
    }
    return null;
  }

  /** Shows one message next to its control; returns the control, or null when unplaced. */
  mark(path: string, message: string): HTMLElement | null {
    const control = this.controlFor(path);
    if (!control) return null;
    const slot =
      control.closest('.field')?.querySelector<HTMLElement>(':scope > .field-error') ?? null;
    if (!slot) return null;
    slot.dataset.for = path;
    slot.append(h('span', null, message));
    control.setAttribute('aria-invalid', 'true');
    control.dataset.invalidFor = path;
    return control;
  }

  /** Marks a set of problems under `prefixes` (live validation), replacing the earlier ones. */
  replace(prefixes: readonly string[], details: readonly ErrorDetail[]): void {
    this.clear(prefixes);
    for (const detail of details) this.mark(detail.path, detail.message);
  }

  /** A failed save: messages next to their fields, the rest (or a plain failure) on top. */
  show(error: unknown): void {
    this.clear();
    const apiError = error instanceof ApiError ? error : null;
    const details = apiError?.details ?? [];
    const placed: HTMLElement[] = [];
    const unplaced: ErrorDetail[] = [];
    for (const detail of details) {
      const control = this.mark(detail.path, detail.message);
      if (control) placed.push(control);
      else unplaced.push(detail);
    }
    let heading: string;
    if (!apiError) heading = 'Something went wrong. Please try again.';
    else if (details.length === 0) heading = apiError.message;
    else if (unplaced.length === 0) {
      heading =
        placed.length === 1
          ? 'Please correct the highlighted field.'
          : `Please correct the ${placed.length} highlighted fields.`;
    } else heading = apiError.message;
    replaceChildren(
      this.summary,
      h('p', { class: 'error-summary-title' }, heading),
      unplaced.length > 0
        ? h(
            'ul',
            null,
            unplaced.map((d) =>
              h(
                'li',
                null,
                d.path && d.path !== 'body' ? h('code', null, d.path) : null,
                d.path && d.path !== 'body' ? ': ' : null,
                d.message,
              ),
            ),
          )
        : null,
    );
    this.summary.hidden = false;
    for (const control of placed) {
      for (
        let node = control.closest('details');
        node;
        node = node.parentElement?.closest('details') ?? null
      ) {
        node.open = true;
      }
    }
    placed.sort((a, b) =>
      a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1,
    );
    const first = placed.find((control) => control.matches('input, select, textarea, button'));
    if (first && unplaced.length === 0) first.focus();
    else this.summary.focus();
  }
}
