/**
 * An endpoint's delivery settings handed to the nodes as data, by a host that runs a template
 * headless (the runner).
 *
 * An endpoint's URL, headers, constants and field mappings are a seller's values, and n8n
 * evaluates any node parameter string that starts with `=`: a seller's constant `={{ 6*7 }}`
 * written into the Field Mapper's parameters would be sent as `42`, and worse could read the
 * execution's data or spin the process. So these values never become parameter text. The host
 * puts them into the execution's flow context (`getContext('flow')`), which n8n stores and hands
 * back as plain data, never as expressions, and each node takes them from there instead of from
 * its parameters. In the n8n app nothing puts them there, and the nodes read their parameters as
 * an operator set them in the editor.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HubSpotOptions } from '../../core/formats/hubspot.js';
import {
  PAYLOAD_FORMATS,
  type Constant,
  type FieldMapping,
  type HeaderPair,
  type PayloadFormat,
} from '../../core/types.js';

/** The flow-context key under which a host hands the nodes an endpoint's settings. */
export const DELIVERY_SETTINGS_KEY = 'leadDeliverySettings';

export interface DeliverySettings {
  /** Webhook Deliver's URL, and Format Payload's HubSpot WEBHOOKURL. */
  readonly url: string;
  readonly format: PayloadFormat;
  readonly headers: readonly HeaderPair[];
  readonly constants: readonly Constant[];
  readonly fieldMappings: readonly FieldMapping[];
  readonly timeoutMs: number;
  /** Webhook Deliver's requests in flight at once within one execution. */
  readonly concurrency: number;
  /** Format Payload's HubSpot `context` and `legalConsentOptions` (hubspot format); null: none. */
  readonly hubspot?: HubSpotOptions | null;
}

function isStringPairs<K extends string>(value: unknown, keys: readonly [K, K]): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as Record<K, unknown>)[keys[0]] === 'string' &&
        typeof (entry as Record<K, unknown>)[keys[1]] === 'string',
    )
  );
}

/** Settings objects already found well-formed: a host hands the same object to every execution. */
const wellFormed = new WeakSet<object>();

/** Why `value` is not a DeliverySettings, or null when it is. */
export function deliverySettingsProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'must be an object';
  const settings = value as Record<keyof DeliverySettings, unknown>;
  if (typeof settings.url !== 'string') return 'url must be a string';
  if (!(PAYLOAD_FORMATS as readonly unknown[]).includes(settings.format)) {
    return `format must be one of ${PAYLOAD_FORMATS.join(', ')}`;
  }
  if (!isStringPairs(settings.headers, ['name', 'value']))
    return 'headers must be name/value pairs';
  if (!isStringPairs(settings.constants, ['key', 'value']))
    return 'constants must be key/value pairs';
  if (!isStringPairs(settings.fieldMappings, ['field', 'output'])) {
    return 'fieldMappings must be field/output pairs';
  }
  if (typeof settings.timeoutMs !== 'number') return 'timeoutMs must be a number';
  if (typeof settings.concurrency !== 'number') return 'concurrency must be a number';
  if (
    settings.hubspot !== undefined &&
    settings.hubspot !== null &&
    (typeof settings.hubspot !== 'object' || Array.isArray(settings.hubspot))
  ) {
    return 'hubspot must be an object or null';
  }
  return null;
}

/**
 * The settings a host handed this execution, or undefined in the n8n app (read the parameters).
 * Settings that are there but malformed are an error, never a reason to fall back on the
 * template's own parameters: those are an example, and a delivery must not go to an example URL.
 */
export function deliverySettingsOf(context: IExecuteFunctions): DeliverySettings | undefined {
  const value: unknown = context.getContext('flow')[DELIVERY_SETTINGS_KEY];
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && wellFormed.has(value)) {
    return value as DeliverySettings;
  }
  const problem = deliverySettingsProblem(value);
  if (problem !== null) throw new Error(`The host's delivery settings are invalid: ${problem}`);
  wellFormed.add(value as object);
  return value as DeliverySettings;
}
