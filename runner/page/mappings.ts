/**
 * "Adjust Field Mappings": the mapping rows (Top Provider field → output name; reorder, remove),
 * "Available Fields" click-to-add, and the live preview of the payload for the sample lead.
 *
 * The preview runs core's own mapLead and formatPayload (compiled into the page from ../../core),
 * the code every real delivery runs, so what it shows is what the receiver gets.
 */
import { MEETING_FIELD_KEYS } from '../../core/catalogue.js';
import { formatPayload } from '../../core/formats/index.js';
import { mapLead } from '../../core/mapping.js';
import type {
  Constant,
  FieldMapping,
  LeadRecord,
  MessageType,
  PayloadFormat,
} from '../../core/types.js';
import type { CatalogueField } from './api.js';
import { h, replaceChildren, uid } from './dom.js';
import { errorSlot } from './fields.js';
import { FORMAT_SHORT } from './labels.js';

interface MappingRow {
  element: HTMLLIElement;
  select: HTMLSelectElement;
  output: HTMLInputElement;
  up: HTMLButtonElement;
  down: HTMLButtonElement;
  remove: HTMLButtonElement;
  /** The field the output was defaulted from, to follow a change of field while untouched. */
  lastField: string;
}

export class MappingsEditor {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly available: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private readonly rows: MappingRow[] = [];
  private readonly labels: Map<string, string>;

  constructor(
    private readonly fields: readonly CatalogueField[],
    initial: readonly FieldMapping[],
    private readonly onChange: () => void,
  ) {
    this.labels = new Map(fields.map((f) => [f.key, f.label]));
    this.list = h('ol', { class: 'mapping-rows' });
    this.emptyNote = h(
      'p',
      { class: 'empty-note' },
      'No fields mapped: payloads carry only messageType and your constants. Add fields below.',
    );
    this.available = h('div', { class: 'chips' });
    const availableTitle = uid('available');
    this.element = h(
      'div',
      { class: 'mappings field', 'data-path': 'fieldMappings' },
      h(
        'p',
        { class: 'hint' },
        'For each field, enter the corresponding field name for your external system. ',
        'In JSON, dots nest: ',
        h('code', null, 'contact.email'),
        ' becomes ',
        h('code', null, '{"contact": {"email": …}}'),
        '.',
      ),
      h(
        'div',
        { class: 'mapping-head', 'aria-hidden': 'true' },
        h('span', null, 'Top Provider Field'),
        h('span', null, 'Output Field Name'),
      ),
      this.list,
      this.emptyNote,
      errorSlot(),
      h(
        'section',
        { class: 'available', 'aria-labelledby': availableTitle },
        h('h4', { id: availableTitle }, 'Available Fields'),
        h('p', { class: 'hint' }, 'Click a field to add it to your mappings.'),
        this.available,
      ),
    );
    for (const mapping of initial) this.addRow(mapping.field, mapping.output);
    this.refresh();
  }

  private label(key: string): string {
    return this.labels.get(key) ?? key;
  }

  addRow(fieldKey: string, output: string): MappingRow {
    const options = this.fields.map((f) => h('option', { value: f.key }, f.label));
    if (!this.labels.has(fieldKey)) options.push(h('option', { value: fieldKey }, fieldKey));
    const select = h('select', { class: 'input' }, options);
    select.value = fieldKey;
    const outputInput = h('input', {
      type: 'text',
      class: 'input mono',
      value: output,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    const selectError = errorSlot();
    const outputError = errorSlot();
    select.setAttribute('aria-describedby', selectError.id);
    outputInput.setAttribute('aria-describedby', outputError.id);
    const up = h('button', { type: 'button', class: 'icon-button' }, '↑');
    const down = h('button', { type: 'button', class: 'icon-button' }, '↓');
    const remove = h('button', { type: 'button', class: 'icon-button row-remove' }, '×');
    const row: MappingRow = {
      element: h(
        'li',
        { class: 'mapping-row' },
        h('div', { class: 'field' }, select, selectError),
        h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
        h('div', { class: 'field' }, outputInput, outputError),
        h('div', { class: 'row-actions' }, up, down, remove),
      ),
      select,
      output: outputInput,
      up,
      down,
      remove,
      lastField: fieldKey,
    };
    select.addEventListener('change', () => {
      if (row.output.value === row.lastField || row.output.value === '') {
        row.output.value = select.value;
      }
      row.lastField = select.value;
      this.refresh();
      this.onChange();
    });
    outputInput.addEventListener('input', () => this.onChange());
    up.addEventListener('click', () => this.move(row, -1));
    down.addEventListener('click', () => this.move(row, +1));
    remove.addEventListener('click', () => this.removeRow(row));
    this.rows.push(row);
    this.list.append(row.element);
    return row;
  }

  private move(row: MappingRow, delta: number): void {
    const from = this.rows.indexOf(row);
    const to = from + delta;
    if (to < 0 || to >= this.rows.length) return;
    this.rows.splice(from, 1);
    this.rows.splice(to, 0, row);
    this.list.replaceChildren(...this.rows.map((r) => r.element));
    this.refresh();
    // Keep the focus on the button that moved, unless it just became disabled.
    const button = delta < 0 ? row.up : row.down;
    (button.disabled ? (delta < 0 ? row.down : row.up) : button).focus();
    this.onChange();
  }

  private removeRow(row: MappingRow): void {
    const index = this.rows.indexOf(row);
    this.rows.splice(index, 1);
    row.element.remove();
    this.refresh();
    const next = this.rows[index] ?? this.rows[index - 1];
    (next?.output ?? this.available.querySelector('button') ?? this.list).focus();
    this.onChange();
  }

  private addFromAvailable(key: string): void {
    const row = this.addRow(key, key);
    this.refresh();
    row.output.focus();
    row.output.select();
    this.onChange();
  }

  private refresh(): void {
    this.rows.forEach((row, index) => {
      const n = index + 1;
      const name = this.label(row.select.value);
      row.select.setAttribute('aria-label', `Top Provider field ${n}`);
      row.output.setAttribute('aria-label', `Output field name ${n} (${name})`);
      row.up.setAttribute('aria-label', `Move ${name} up`);
      row.down.setAttribute('aria-label', `Move ${name} down`);
      row.remove.setAttribute('aria-label', `Remove ${name} mapping`);
      row.up.disabled = index === 0;
      row.down.disabled = index === this.rows.length - 1;
    });
    this.emptyNote.hidden = this.rows.length > 0;
    const mapped = new Set(this.rows.map((row) => row.select.value));
    const unmapped = this.fields.filter((f) => !mapped.has(f.key));
    replaceChildren(
      this.available,
      unmapped.length === 0
        ? h('p', { class: 'empty-note' }, 'Every field is mapped.')
        : unmapped.map((f) =>
            h(
              'button',
              {
                type: 'button',
                class: 'chip',
                title: `Example: ${f.example}`,
                'aria-label': `Add ${f.label}`,
                onclick: () => this.addFromAvailable(f.key),
              },
              h('span', { 'aria-hidden': 'true' }, '+ '),
              f.label,
            ),
          ),
    );
  }

  /** The mappings in order, naming each row's controls by its position. */
  collect(): FieldMapping[] {
    return this.rows.map((row, index) => {
      row.select.dataset.path = `fieldMappings.${index}.field`;
      row.output.dataset.path = `fieldMappings.${index}.output`;
      return { field: row.select.value, output: row.output.value.trim() };
    });
  }

  mapsMeetingTime(): boolean {
    return this.rows.some((row) => MEETING_FIELD_KEYS.includes(row.select.value));
  }
}

export interface PreviewInput {
  format: PayloadFormat;
  url: string;
  fieldMappings: readonly FieldMapping[];
  constants: readonly Constant[];
}

/** The body a receiver would get for the sample lead, shown as sent (JSON indented). */
export function previewBody(
  input: PreviewInput,
  sample: LeadRecord,
  messageType: MessageType,
): { text: string; contentType: string } {
  const mapped = mapLead(sample, input.fieldMappings, input.constants, messageType);
  const formatted = formatPayload(input.format, mapped, {
    webhookUrl: input.url.trim() || 'https://your-webhook-url.example',
  });
  return { text: prettyBody(formatted.body, input.format), contentType: formatted.contentType };
}

/** JSON bodies indented (their content is unchanged), XML and form bodies exactly as sent. */
export function prettyBody(body: string, format: PayloadFormat): string {
  if (format === 'json' || format === 'hubspot') {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }
  return body;
}

export class PayloadPreview {
  readonly element: HTMLElement;
  private readonly code: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly problem: HTMLElement;
  private readonly radios: Record<MessageType, HTMLInputElement>;
  private last: PreviewInput | null = null;

  constructor(
    private readonly sample: LeadRecord,
    messageType: MessageType,
  ) {
    const name = uid('preview-message');
    const radio = (value: MessageType) =>
      h('input', {
        type: 'radio',
        name,
        value,
        checked: value === messageType,
        onchange: () => this.render(),
      });
    this.radios = { new_lead: radio('new_lead'), lead_update: radio('lead_update') };
    this.code = h('code');
    this.meta = h('span', { class: 'preview-meta' });
    this.problem = h('p', { class: 'preview-problem', role: 'status' });
    const titleId = uid('preview-title');
    this.element = h(
      'section',
      { class: 'preview', 'aria-labelledby': titleId },
      h('div', { class: 'preview-head' }, h('h4', { id: titleId }, 'Live preview'), this.meta),
      h(
        'div',
        { class: 'segmented', role: 'radiogroup', 'aria-label': 'Preview message type' },
        h('label', null, this.radios.new_lead, h('span', null, 'New lead')),
        h('label', null, this.radios.lead_update, h('span', null, 'Lead update')),
      ),
      this.problem,
      h('pre', { class: 'code', 'data-testid': 'payload-preview', tabindex: '0' }, this.code),
      h(
        'p',
        { class: 'hint' },
        'The sample lead (the catalogue’s example values), mapped and formatted by the same code that sends your deliveries.',
      ),
    );
  }

  update(input: PreviewInput): void {
    this.last = input;
    this.render();
  }

  private render(): void {
    if (!this.last) return;
    const messageType: MessageType = this.radios.lead_update.checked ? 'lead_update' : 'new_lead';
    try {
      const { text, contentType } = previewBody(this.last, this.sample, messageType);
      this.code.textContent = text;
      this.meta.textContent = `${FORMAT_SHORT[this.last.format]} · ${contentType}`;
      this.problem.textContent = '';
      this.problem.hidden = true;
      this.element.classList.remove('preview-stale');
    } catch (error) {
      this.problem.textContent = `Preview paused: ${error instanceof Error ? error.message : String(error)}`;
      this.problem.hidden = false;
      this.element.classList.add('preview-stale');
    }
  }
}
