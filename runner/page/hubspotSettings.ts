/**
 * The HubSpot part of a webhook's Settings (shown for format `hubspot`): the Forms v3 `context`
 * (page URI, page name) and the consent to process that forms requiring consent refuse a
 * submission without. A legitimate interest, or communication consents, are set through the API
 * (`hubspot.legalConsentOptions`); the page keeps them as they are and says so.
 */
import type { HubSpotLegalConsentOptions, HubSpotOptions } from '../../core/formats/hubspot.js';
import type { PayloadFormat } from '../../core/types.js';
import { h } from './dom.js';
import { errorSlot, field } from './fields.js';

/** Same settings whatever the key order (the database keeps its own). */
export function sameHubSpotOptions(
  a: HubSpotOptions | null | undefined,
  b: HubSpotOptions | null | undefined,
): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

export class HubSpotSettings {
  readonly element: HTMLElement;
  private readonly pageUri: HTMLInputElement;
  private readonly pageName: HTMLInputElement;
  private readonly consent: HTMLInputElement;
  private readonly consentText: HTMLTextAreaElement;
  /** Consent the page does not edit (legitimate interest, communications): kept as it is. */
  private readonly kept: HubSpotLegalConsentOptions | null;

  constructor(options: HubSpotOptions | null | undefined) {
    const context = options?.context ?? null;
    const legal = options?.legalConsentOptions ?? null;
    const editable =
      legal === null || ('consent' in legal && (legal.consent.communications?.length ?? 0) === 0);
    this.kept = editable ? null : legal;
    const consent = legal && 'consent' in legal ? legal.consent : null;
    this.pageUri = h('input', {
      type: 'url',
      class: 'input mono',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'https://www.example.com/request-a-quote',
      value: context?.pageUri ?? '',
    });
    this.pageName = h('input', {
      type: 'text',
      class: 'input',
      maxlength: '255',
      autocomplete: 'off',
      placeholder: 'Request a quote',
      value: context?.pageName ?? '',
    });
    this.consent = h('input', {
      type: 'checkbox',
      checked: consent?.consentToProcess ?? false,
      disabled: !editable,
    });
    this.consent.dataset.path = 'hubspot.legalConsentOptions.consent.consentToProcess';
    this.consentText = h('textarea', {
      class: 'input',
      rows: 3,
      maxlength: '5000',
      disabled: !editable,
      placeholder: 'I agree to allow Acme to store and process my personal data.',
    });
    this.consentText.value = consent?.text ?? '';
    this.element = h(
      'fieldset',
      { class: 'field hubspot-settings', 'data-path': 'hubspot' },
      h('legend', { class: 'label' }, 'HubSpot form submission'),
      h(
        'p',
        { class: 'hint' },
        'Sent with every lead: where it came from, and the consent your form asks for. ',
        'Fields go to Contacts (objectTypeId 0-1); an output name such as 0-2/name goes to another object type.',
      ),
      h(
        'div',
        { class: 'grid-2' },
        field({
          label: 'Page URI',
          control: this.pageUri,
          path: 'hubspot.context.pageUri',
          optional: true,
        }),
        field({
          label: 'Page name',
          control: this.pageName,
          path: 'hubspot.context.pageName',
          optional: true,
        }),
      ),
      h(
        'div',
        { class: 'field' },
        h(
          'label',
          { class: 'check' },
          this.consent,
          h('span', null, h('span', { class: 'radio-title' }, 'Send consent to process')),
        ),
        errorSlot(),
      ),
      field({
        label: 'Consent text',
        control: this.consentText,
        path: 'hubspot.legalConsentOptions.consent.text',
        hint: editable
          ? 'The text the lead agreed to, as your HubSpot form shows it.'
          : 'This webhook’s consent options were set through the API and are kept as they are.',
      }),
    );
  }

  /** Shown for the hubspot format only (other formats ignore these settings). */
  show(format: PayloadFormat): void {
    this.element.hidden = format !== 'hubspot';
  }

  collect(): HubSpotOptions | null {
    const pageUri = this.pageUri.value.trim();
    const pageName = this.pageName.value.trim();
    const context = {
      ...(pageUri ? { pageUri } : {}),
      ...(pageName ? { pageName } : {}),
    };
    const text = this.consentText.value.trim();
    const legalConsentOptions: HubSpotLegalConsentOptions | null =
      this.kept ??
      (this.consent.checked || text !== ''
        ? { consent: { consentToProcess: this.consent.checked, text } }
        : null);
    if (Object.keys(context).length === 0 && legalConsentOptions === null) return null;
    return {
      ...(Object.keys(context).length > 0 ? { context } : {}),
      ...(legalConsentOptions ? { legalConsentOptions } : {}),
    };
  }
}
