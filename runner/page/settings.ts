/**
 * The Settings modal of a webhook: its connection (name, URL, format, headers, constants, lead
 * orders), "Adjust Field Mappings" with "Available Fields" and the live preview, and "Advanced
 * settings" (endpoint type with the routing patterns, timeout, enabled). Save sends what changed.
 */
import { validateMappingSettings } from '../../core/mapping.js';
import type { EndpointType, PayloadFormat } from '../../core/types.js';
import {
  api,
  ApiError,
  type CatalogueField,
  type Endpoint,
  type EndpointSettings,
  type LeadOrder,
} from './api.js';
import { openDialog } from './dialog.js';
import { h, uid } from './dom.js';
import { apiPath, FormErrors } from './errors.js';
import {
  constantsEditor,
  errorSlot,
  field,
  formatSelect,
  headersEditor,
  LeadOrdersPicker,
} from './fields.js';
import { ROUTING_PATTERNS, TYPE_OPTIONS } from './labels.js';
import { HubSpotSettings, sameHubSpotOptions } from './hubspotSettings.js';
import { MappingsEditor, PayloadPreview } from './mappings.js';
import { errorMessage, type ViewContext } from './view.js';

export interface SettingsOptions {
  /** Opens with "Adjust Field Mappings" expanded. */
  openMappings?: boolean;
}

function sampleLeadOf(fields: readonly CatalogueField[]): Record<string, string> {
  const lead: Record<string, string> = {};
  for (const f of fields) lead[f.key] = f.example;
  return lead;
}

function collapsible(title: string, open: boolean, ...body: Node[]): HTMLDetailsElement {
  return h(
    'details',
    { class: 'collapsible', open },
    h('summary', null, h('span', { class: 'summary-title' }, title)),
    h('div', { class: 'collapsible-body' }, ...body),
  );
}

class AdvancedSettings {
  readonly element: HTMLDetailsElement;
  readonly radios: HTMLInputElement[];
  readonly timeout: HTMLInputElement;
  readonly enabled: HTMLInputElement;
  readonly updatesWarning: HTMLElement;
  /** Delivery limits, when the runner has them (null inputs otherwise). */
  readonly maxConcurrency: HTMLInputElement | null;
  readonly rateLimit: HTMLInputElement | null;

  constructor(endpoint: Endpoint, onChange: () => void) {
    const group = uid('type');
    this.radios = TYPE_OPTIONS.map((option) =>
      h('input', {
        type: 'radio',
        name: group,
        value: option.value,
        checked: endpoint.type === option.value,
        onchange: onChange,
      }),
    );
    const typeField = h(
      'fieldset',
      { class: 'field', 'data-path': 'type' },
      h('legend', { class: 'label' }, 'Endpoint type'),
      h('p', { class: 'hint' }, 'Which deliveries this endpoint receives.'),
      h(
        'div',
        { class: 'radio-cards' },
        TYPE_OPTIONS.map((option, index) => {
          const helpId = uid('type-help');
          const titleId = uid('type-title');
          this.radios[index].setAttribute('aria-labelledby', titleId);
          this.radios[index].setAttribute('aria-describedby', helpId);
          return h(
            'label',
            { class: 'radio-card' },
            this.radios[index],
            h(
              'span',
              null,
              h('span', { class: 'radio-title', id: titleId }, option.label),
              h('span', { class: 'radio-help', id: helpId }, option.help),
            ),
          );
        }),
      ),
      errorSlot(),
    );
    this.updatesWarning = h(
      'p',
      { class: 'notice notice-warning', role: 'status' },
      'Lead updates go only to endpoints that map the meeting time: add Requested Meeting Time ',
      'or Formatted Requested Meeting Time under Adjust Field Mappings, or this endpoint receives no updates.',
    );
    const patterns = h(
      'div',
      { class: 'patterns' },
      h('h4', null, 'Routing patterns'),
      h(
        'ul',
        null,
        ROUTING_PATTERNS.map((p) => h('li', null, h('strong', null, `${p.title}: `), p.text)),
      ),
    );
    this.timeout = h('input', {
      type: 'number',
      class: 'input input-narrow',
      min: '1000',
      max: '30000',
      step: '500',
      inputmode: 'numeric',
      value: String(endpoint.timeoutMs),
    });
    const hasLimits = 'maxConcurrency' in endpoint;
    const optionalNumber = (value: number | null | undefined, attrs: Record<string, string>) =>
      h('input', {
        type: 'number',
        class: 'input',
        inputmode: 'decimal',
        placeholder: 'No limit',
        value: value === null || value === undefined ? '' : String(value),
        ...attrs,
      });
    this.maxConcurrency = hasLimits
      ? optionalNumber(endpoint.maxConcurrency, { min: '1', max: '1000', step: '1' })
      : null;
    this.rateLimit = hasLimits
      ? optionalNumber(endpoint.rateLimitPerSecond, { min: '0.01', max: '10000', step: 'any' })
      : null;
    this.enabled = h('input', { type: 'checkbox', checked: endpoint.enabled });
    const enabledHintId = uid('hint');
    this.enabled.setAttribute('aria-describedby', enabledHintId);
    this.enabled.dataset.path = 'enabled';
    this.element = collapsible(
      'Advanced settings',
      false,
      typeField,
      this.updatesWarning,
      patterns,
      this.maxConcurrency && this.rateLimit
        ? h(
            'div',
            { class: 'grid-2' },
            field({
              label: 'Max concurrent deliveries',
              control: this.maxConcurrency,
              path: 'maxConcurrency',
              hint: 'In flight at once, across all workers. Empty: no limit.',
            }),
            field({
              label: 'Rate limit (per second)',
              control: this.rateLimit,
              path: 'rateLimitPerSecond',
              hint: 'Attempts started per second. Empty: no limit.',
            }),
          )
        : h('span', { hidden: true }),
      field({
        label: 'Timeout (ms)',
        control: this.timeout,
        path: 'timeoutMs',
        hint: 'How long to wait for your endpoint to answer: 1000–30000 ms (default 10000).',
      }),
      h(
        'div',
        { class: 'field' },
        h(
          'label',
          { class: 'check' },
          this.enabled,
          h('span', null, h('span', { class: 'radio-title' }, 'Enabled')),
        ),
        h(
          'p',
          { class: 'hint', id: enabledHintId },
          'A disabled webhook holds its deliveries; they go out when it is enabled again.',
        ),
        errorSlot(),
      ),
    );
  }

  type(): EndpointType {
    return (this.radios.find((r) => r.checked)?.value ?? 'new_leads') as EndpointType;
  }

  /** The limits to send, only when the runner has them. */
  limits(): Pick<EndpointSettings, 'maxConcurrency' | 'rateLimitPerSecond'> {
    if (!this.maxConcurrency || !this.rateLimit) return {};
    const read = (input: HTMLInputElement) =>
      input.value.trim() === '' ? null : Number(input.value.trim());
    return { maxConcurrency: read(this.maxConcurrency), rateLimitPerSecond: read(this.rateLimit) };
  }

  timeoutMs(): number {
    const text = this.timeout.value.trim();
    return text === '' ? Number.NaN : Number(text);
  }
}

export async function openSettings(
  ctx: ViewContext,
  endpoint: Endpoint,
  onSaved: (endpoint: Endpoint) => void,
  options: SettingsOptions = {},
): Promise<void> {
  let fields: CatalogueField[];
  let orders: LeadOrder[];
  try {
    [fields, orders] = await Promise.all([api.fields(), api.leadOrders(true)]);
  } catch (error) {
    ctx.toast(`Could not open the settings: ${errorMessage(error)}`, 'error');
    return;
  }

  const name = h('input', {
    type: 'text',
    class: 'input',
    maxlength: '100',
    autocomplete: 'off',
    value: endpoint.name,
    'aria-required': 'true',
  });
  const url = h('input', {
    type: 'url',
    class: 'input mono',
    autocomplete: 'off',
    spellcheck: 'false',
    inputmode: 'url',
    value: endpoint.url,
    'aria-required': 'true',
  });
  const sync = () => syncNow();
  const format = formatSelect(endpoint.format, sync);
  url.addEventListener('input', sync);
  const headers = headersEditor(endpoint.headers, true);
  const constants = constantsEditor(endpoint.constants, sync);
  const leadOrders = new LeadOrdersPicker(orders, endpoint.leadOrderIds);
  const mappings = new MappingsEditor(fields, endpoint.fieldMappings, sync);
  const preview = new PayloadPreview(
    sampleLeadOf(fields),
    endpoint.type === 'lead_updates' ? 'lead_update' : 'new_lead',
  );
  const advanced = new AdvancedSettings(endpoint, sync);
  const hubspot = new HubSpotSettings(endpoint.hubspot);
  const summary = h('div');
  const save = h('button', { type: 'submit', class: 'button button-primary' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const mappingSection = collapsible(
    'Adjust Field Mappings',
    options.openMappings ?? false,
    h('div', { class: 'mapping-layout' }, mappings.element, preview.element),
  );

  const form = h(
    'form',
    { class: 'endpoint-form', novalidate: true },
    h(
      'div',
      { class: 'dialog-body' },
      summary,
      h(
        'div',
        { class: 'grid-2' },
        field({ label: 'Name', control: name, path: 'name' }),
        field({ label: 'Data Format', control: format, path: 'format' }),
      ),
      field({
        label: 'Webhook URL',
        control: url,
        path: 'url',
        hint: 'The full URL of your endpoint; it must be publicly accessible.',
      }),
      hubspot.element,
      headers.element,
      constants.element,
      leadOrders.element,
      mappingSection,
      advanced.element,
    ),
    h('div', { class: 'dialog-footer' }, cancel, save),
  );
  const errors = new FormErrors(form, summary);

  function syncNow(): void {
    const fieldMappings = mappings.collect();
    const constantItems = constants.collect().items;
    const fmt = format.value as PayloadFormat;
    // The save-time rules, run as you type: the same core function the API runs.
    const problems = validateMappingSettings({
      format: fmt,
      fieldMappings,
      constants: constantItems,
    }).map((p) => ({ path: apiPath(p.path), message: p.message }));
    errors.replace(['fieldMappings', 'constants'], problems);
    preview.update({ format: fmt, url: url.value, fieldMappings, constants: constantItems });
    advanced.updatesWarning.hidden = advanced.type() === 'new_leads' || mappings.mapsMeetingTime();
    hubspot.show(fmt);
  }
  syncNow();

  const dialog = openDialog({
    title: 'Settings',
    description: endpoint.name,
    content: form,
    size: 'large',
    initialFocus: options.openMappings
      ? (mappingSection.querySelector<HTMLElement>('summary') ?? undefined)
      : name,
  });
  if (options.openMappings) mappingSection.scrollIntoView({ block: 'start' });
  cancel.addEventListener('click', () => dialog.close());

  let saving = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (saving) return;
    errors.clear();
    const headerItems = headers.collect();
    const constantItems = constants.collect();
    const next: EndpointSettings = {
      name: name.value,
      url: url.value,
      format: format.value as PayloadFormat,
      headers: headerItems.items,
      constants: constantItems.items,
      leadOrderIds: leadOrders.collect(),
      fieldMappings: mappings.collect(),
      type: advanced.type(),
      enabled: advanced.enabled.checked,
      timeoutMs: advanced.timeoutMs(),
      ...advanced.limits(),
      hubspot: hubspot.collect(),
    };
    const local = [...headerItems.problems, ...constantItems.problems];
    if (local.length > 0) {
      errors.show(new ApiError(400, 'validation_failed', 'Please correct the fields', local));
      return;
    }
    // Only what changed: an unchanged URL is not re-checked, unchanged secrets are not resent.
    const patch: Partial<EndpointSettings> = {};
    for (const key of Object.keys(next) as Array<keyof EndpointSettings>) {
      const same =
        key === 'hubspot'
          ? sameHubSpotOptions(next.hubspot, endpoint.hubspot)
          : JSON.stringify(next[key]) === JSON.stringify(endpoint[key]);
      if (!same) {
        (patch as Record<string, unknown>)[key] = next[key];
      }
    }
    if (Object.keys(patch).length === 0) {
      dialog.close();
      ctx.toast('No changes to save', 'info');
      return;
    }
    saving = true;
    save.disabled = true;
    save.textContent = 'Saving…';
    try {
      const updated = await api.updateEndpoint(endpoint.id, patch);
      dialog.close();
      ctx.toast('Settings saved');
      for (const warning of updated.warnings ?? []) ctx.toast(warning.message, 'info');
      onSaved(updated);
    } catch (error) {
      errors.show(error);
      save.disabled = false;
      save.textContent = 'Save';
    } finally {
      saving = false;
    }
  });
}
