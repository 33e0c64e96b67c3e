import type { HubSpotOptions } from './formats/hubspot.js';

/** Shared vocabulary of the domain (spec R1–R7). Pure types: no runtime code lives here. */

export type PayloadFormat = 'json' | 'xml' | 'form' | 'hubspot';
export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['json', 'xml', 'form', 'hubspot'];

export type MessageType = 'new_lead' | 'lead_update';
export const MESSAGE_TYPES: readonly MessageType[] = ['new_lead', 'lead_update'];

export type EndpointType = 'new_leads' | 'lead_updates' | 'both';
export const ENDPOINT_TYPES: readonly EndpointType[] = ['new_leads', 'lead_updates', 'both'];

/** A lead as the catalogue knows it: every value is a string or absent/null. */
export type LeadRecord = Partial<Record<string, string | null>>;

export interface FieldMapping {
  /** A catalogue key (R1). */
  field: string;
  /** The name in the seller's system; dots nest in JSON (R3). */
  output: string;
}

export interface Constant {
  key: string;
  value: string;
}

export interface HeaderPair {
  name: string;
  value: string;
}

/** One problem found when validating settings; `path` names the offending field, e.g. `fieldMappings[2].output`. */
export interface ValidationProblem {
  path: string;
  message: string;
}

/**
 * The ordered, flat record a payload is built from: output name → value (null = no value).
 * Mapping order first, then constants. `messageType` is kept apart because each format places
 * it differently (JSON/XML/form: a top-level key; HubSpot: omitted).
 */
export interface MappedLead {
  messageType: MessageType;
  entries: Array<{ name: string; value: string | null; source: 'field' | 'constant' }>;
}

export interface FormattedPayload {
  /** The exact request body. */
  body: string;
  contentType: string;
  /** The structured form of the body (the nested JSON object, the HubSpot object, the XML/form key-value object). */
  payload: unknown;
}

export type DeliveryOutcome = 'success' | 'retryable' | 'permanent';

/** What a seller sets on an endpoint (R2), as the API takes it and the page edits it. */
export interface EndpointSettings {
  name: string;
  url: string;
  format: PayloadFormat;
  headers: HeaderPair[];
  constants: Constant[];
  leadOrderIds: string[];
  fieldMappings: FieldMapping[];
  type: EndpointType;
  enabled: boolean;
  timeoutMs: number;
  /** Deliveries in flight at once across all workers; null (or absent): no limit. */
  maxConcurrency?: number | null;
  /** Attempts started per second (token bucket, bursts of one second's worth); null: no limit. */
  rateLimitPerSecond?: number | null;
  /** HubSpot's `context` and `legalConsentOptions`, sent by the hubspot format; null: none. */
  hubspot?: HubSpotOptions | null;
}
