/** Form building blocks shared by the "Add a webhook" and Settings modals. */
import type { PayloadFormat } from '../../core/types.js';
import type { ErrorDetail, LeadOrder } from './api.js';
import { h, uid, type Child } from './dom.js';
import { FORMAT_OPTIONS } from './labels.js';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** The error slot of a field: the FormErrors fill it. */
export function errorSlot(): HTMLElement {
  return h('div', { class: 'field-error', id: uid('error') });
}

/** A labelled control with its hint and its error slot; `path` is the API's name for it. */
export function field(options: {
  label: string;
  control: Control;
  path?: string;
  hint?: Child;
  optional?: boolean;
  class?: string;
}): HTMLElement {
  const { control } = options;
  control.id ||= uid('field');
  if (options.path) control.dataset.path = options.path;
  const hint = options.hint ? h('p', { class: 'hint', id: uid('hint') }, options.hint) : null;
  const error = errorSlot();
  control.setAttribute('aria-describedby', [hint?.id, error.id].filter(Boolean).join(' '));
  return h(
    'div',
    { class: `field ${options.class ?? ''}`.trim() },
    h(
      'label',
      { for: control.id, class: 'label' },
      options.label,
      options.optional ? h('span', { class: 'optional' }, ' (Optional)') : null,
    ),
    control,
    hint,
    error,
  );
}

export function formatSelect(value: PayloadFormat, onChange?: () => void): HTMLSelectElement {
  return h(
    'select',
    { class: 'input', name: 'format', value, onchange: onChange },
    FORMAT_OPTIONS.map((option) => h('option', { value: option.value }, option.label)),
  );
}

type KeyName = 'name' | 'key';
export type KeyValueItem<K extends KeyName> = Record<K, string> & { value: string };

interface KeyValueOptions<K extends KeyName> {
  /** `headers` or `constants`: the API's list name. */
  path: 'headers' | 'constants';
  /** The item's key property: `name` for headers, `key` for constants. */
  keyName: K;
  legend: string;
  hint: string;
  /** `header`, `constant`: in labels ("Header 2 name"). */
  noun: string;
  keyLabel: string;
  keyPlaceholder: string;
  valuePlaceholder: string;
  addLabel: string;
  empty: string;
  /** Values masked, with a show toggle (headers carry credentials). */
  secret: boolean;
  onChange?: () => void;
}

interface KeyValueRow {
  element: HTMLElement;
  keyInput: HTMLInputElement;
  valueInput: HTMLInputElement;
  toggle: HTMLButtonElement | null;
  remove: HTMLButtonElement;
  /** A header loaded from the endpoint: its name and the redacted value the API returned. */
  saved?: { name: string; masked: string };
}

/**
 * Name/value rows (HTTP Headers, Constants): add, remove, values masked for headers. Rows left
 * entirely empty are not sent; the others are sent in order, and their controls are named by
 * their position in what is sent, so `headers.1.value` lands on the right row.
 */
export class KeyValueEditor<K extends KeyName> {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private readonly addButton: HTMLButtonElement;
  private readonly rows: KeyValueRow[] = [];

  constructor(
    private readonly options: KeyValueOptions<K>,
    initial: ReadonlyArray<{ key: string; value: string }> = [],
    savedSecrets = false,
  ) {
    this.list = h('div', { class: 'kv-rows' });
    this.emptyNote = h('p', { class: 'empty-note' }, options.empty);
    this.addButton = h(
      'button',
      {
        type: 'button',
        class: 'button button-ghost button-small',
        onclick: () => this.addRow().keyInput.focus(),
      },
      options.addLabel,
    );
    const hintId = uid('hint');
    this.element = h(
      'fieldset',
      {
        class: 'field kv-editor',
        'data-path': options.path,
        'aria-describedby': hintId,
      },
      h(
        'legend',
        { class: 'label' },
        options.legend,
        h('span', { class: 'optional' }, ' (Optional)'),
      ),
      h('p', { class: 'hint', id: hintId }, options.hint),
      h(
        'div',
        { class: 'kv-head', 'aria-hidden': 'true' },
        h('span', null, options.keyLabel),
        h('span', null, 'Value'),
      ),
      this.list,
      this.emptyNote,
      this.addButton,
      errorSlot(),
    );
    for (const item of initial) {
      this.addRow(item.key, savedSecrets ? '' : item.value, savedSecrets ? item.value : undefined);
    }
    this.refresh();
  }

  addRow(key = '', value = '', masked?: string): KeyValueRow {
    const { options } = this;
    const keyInput = h('input', {
      type: 'text',
      class: 'input',
      value: key,
      placeholder: options.keyPlaceholder,
      autocomplete: 'off',
      spellcheck: 'false',
      oninput: () => options.onChange?.(),
    });
    const valueInput = h('input', {
      type: options.secret ? 'password' : 'text',
      class: 'input',
      value,
      placeholder: masked ? `Saved (${masked}), leave empty to keep` : options.valuePlaceholder,
      autocomplete: options.secret ? 'new-password' : 'off',
      spellcheck: 'false',
      oninput: () => options.onChange?.(),
    });
    const keyError = errorSlot();
    const valueError = errorSlot();
    keyInput.setAttribute('aria-describedby', keyError.id);
    valueInput.setAttribute('aria-describedby', valueError.id);
    const toggle = options.secret
      ? h('button', { type: 'button', class: 'reveal', 'aria-pressed': 'false' }, 'Show')
      : null;
    toggle?.addEventListener('click', () => {
      const show = valueInput.type === 'password';
      valueInput.type = show ? 'text' : 'password';
      toggle.textContent = show ? 'Hide' : 'Show';
      toggle.setAttribute('aria-pressed', String(show));
    });
    const remove = h('button', { type: 'button', class: 'icon-button row-remove' }, '×');
    const row: KeyValueRow = {
      element: h(
        'div',
        { class: 'kv-row' },
        h('div', { class: 'field' }, keyInput, keyError),
        h(
          'div',
          { class: 'field' },
          toggle ? h('div', { class: 'secret-input' }, valueInput, toggle) : valueInput,
          valueError,
        ),
        remove,
      ),
      keyInput,
      valueInput,
      toggle,
      remove,
      saved: masked !== undefined ? { name: key, masked } : undefined,
    };
    remove.addEventListener('click', () => this.removeRow(row));
    this.rows.push(row);
    this.list.append(row.element);
    this.refresh();
    return row;
  }

  private removeRow(row: KeyValueRow): void {
    const index = this.rows.indexOf(row);
    this.rows.splice(index, 1);
    row.element.remove();
    this.refresh();
    const next = this.rows[index] ?? this.rows[index - 1];
    (next?.keyInput ?? this.addButton).focus();
    this.options.onChange?.();
  }

  /** Row numbers in the accessible names, the empty note. */
  private refresh(): void {
    const { noun, keyLabel } = this.options;
    const Noun = noun[0].toUpperCase() + noun.slice(1);
    this.rows.forEach((row, index) => {
      const n = index + 1;
      row.element.setAttribute('role', 'group');
      row.element.setAttribute('aria-label', `${Noun} ${n}`);
      row.keyInput.setAttribute('aria-label', `${Noun} ${n} ${keyLabel.toLowerCase()}`);
      row.valueInput.setAttribute('aria-label', `${Noun} ${n} value`);
      row.toggle?.setAttribute('aria-label', `Show ${noun} ${n} value`);
      row.remove.setAttribute('aria-label', `Remove ${noun} ${n}`);
    });
    this.emptyNote.hidden = this.rows.length > 0;
    this.element.classList.toggle('kv-empty', this.rows.length === 0);
  }

  /** The items to send (and the problems only the page can see), naming controls by position. */
  collect(): { items: Array<KeyValueItem<K>>; problems: ErrorDetail[] } {
    const { path, keyName } = this.options;
    const items: Array<KeyValueItem<K>> = [];
    const problems: ErrorDetail[] = [];
    for (const row of this.rows) {
      const key = row.keyInput.value.trim();
      let value = row.valueInput.value;
      if (key === '' && value === '' && !row.saved) {
        delete row.keyInput.dataset.path;
        delete row.valueInput.dataset.path;
        continue;
      }
      const index = items.length;
      row.keyInput.dataset.path = `${path}.${index}.${keyName}`;
      row.valueInput.dataset.path = `${path}.${index}.value`;
      if (row.saved && value === '') {
        if (key.toLowerCase() === row.saved.name.toLowerCase()) {
          // Sent back as the API showed it, the stored value is kept (see PATCH /v1/endpoints/:id).
          value = row.saved.masked;
        } else {
          problems.push({
            path: `${path}.${index}.value`,
            message: `Enter the value again: the saved value belongs to "${row.saved.name}"`,
          });
        }
      }
      items.push({ [keyName]: key, value } as KeyValueItem<K>);
    }
    return { items, problems };
  }
}

export function headersEditor(
  initial: ReadonlyArray<{ name: string; value: string }> = [],
  saved = false,
): KeyValueEditor<'name'> {
  return new KeyValueEditor(
    {
      path: 'headers',
      keyName: 'name',
      legend: 'HTTP Headers',
      hint: 'Add authentication or custom headers. Values are stored encrypted and shown masked.',
      noun: 'header',
      keyLabel: 'Name',
      keyPlaceholder: 'Authorization',
      valuePlaceholder: 'Bearer …',
      addLabel: '+ Add header',
      empty: 'No custom headers.',
      secret: true,
    },
    initial.map((header) => ({ key: header.name, value: header.value })),
    saved,
  );
}

export function constantsEditor(
  initial: ReadonlyArray<{ key: string; value: string }> = [],
  onChange?: () => void,
): KeyValueEditor<'key'> {
  return new KeyValueEditor(
    {
      path: 'constants',
      keyName: 'key',
      legend: 'Constants',
      hint: 'Key-value pairs included with every lead.',
      noun: 'constant',
      keyLabel: 'Key',
      keyPlaceholder: 'source',
      valuePlaceholder: 'top-provider',
      addLabel: '+ Add constant',
      empty: 'No constants.',
      secret: false,
      onChange,
    },
    initial,
  );
}

/**
 * "Attached Lead Orders", collapsible: none checked means every lead order (the default), which
 * the section says in its summary line.
 */
export class LeadOrdersPicker {
  readonly element: HTMLDetailsElement;
  private readonly boxes: HTMLInputElement[];
  private readonly note: HTMLElement;

  constructor(orders: readonly LeadOrder[], selected: readonly string[] = []) {
    this.note = h('span', { class: 'summary-note' });
    this.boxes = orders.map((order) =>
      h('input', {
        type: 'checkbox',
        value: order.id,
        checked: selected.includes(order.id),
        onchange: () => this.refresh(),
      }),
    );
    const list =
      orders.length === 0
        ? h('p', { class: 'empty-note' }, 'You have no lead orders yet.')
        : h(
            'ul',
            { class: 'check-list' },
            orders.map((order, index) =>
              h(
                'li',
                null,
                h(
                  'label',
                  { class: 'check' },
                  this.boxes[index],
                  h('span', null, order.name),
                  h('code', { class: 'muted' }, order.id),
                ),
              ),
            ),
          );
    this.element = h(
      'details',
      { class: 'collapsible', open: selected.length > 0 },
      h('summary', null, h('span', { class: 'summary-title' }, 'Attached Lead Orders'), this.note),
      h(
        'div',
        { class: 'collapsible-body' },
        h(
          'fieldset',
          { class: 'field', 'data-path': 'leadOrderIds' },
          h('legend', { class: 'visually-hidden' }, 'Attached Lead Orders'),
          h(
            'p',
            { class: 'hint hint-first' },
            'The webhook receives leads from all lead orders by default: leave every box unchecked for that. ' +
              'Check lead orders to receive only theirs.',
          ),
          list,
          errorSlot(),
        ),
      ),
    );
    this.refresh();
  }

  private refresh(): void {
    const count = this.collect().length;
    this.note.textContent =
      count === 0 ? 'All lead orders (default)' : `${count} of ${this.boxes.length} selected`;
  }

  collect(): string[] {
    return this.boxes.filter((box) => box.checked).map((box) => box.value);
  }
}
