import {
  NodeConnectionTypes,
  type IDataObject,
  type IHookFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';

import { LEAD_FIELD_KEYS } from '../../core/catalogue.js';
import { withMeetingFields } from '../../core/meeting.js';
import { verifySignature, type HeaderRecord } from '../../core/signing.js';
import { MESSAGE_TYPES, type MessageType } from '../../core/types.js';
import { errorMessage, isMessageType, isPlainObject, leadRecordOf } from '../shared/items.js';
import {
  SIGNING_CREDENTIAL,
  SIGNING_CREDENTIAL_TEST,
  signingSecretsOf,
  testSigningCredential,
} from '../shared/signingCredential.js';

interface LeadEvent {
  messageType: MessageType;
  /** The lead's fields: `lead` of a nested event, the event itself for a flat one. */
  lead: IDataObject;
  /** Where the lead's fields are in the body, for messages (`lead`, `events[2].lead`, ``). */
  path: string;
  /** A flat event: its fields next to messageType, as the runner's default JSON mapping sends. */
  flat: boolean;
}

class BadRequest extends Error {}

/** How the trigger answers the sender (the `respond` parameter). */
export const RESPOND_AFTER_DELIVERY = 'afterDelivery';
export const RESPOND_WHEN_RECEIVED = 'whenReceived';

/**
 * The events of a request body: one event, an array of events, or `{events: [...]}`. An event is
 * `{messageType, lead: {...}}`, or flat: the lead's fields next to `messageType`, which is what the
 * runner sends with its default JSON mapping.
 */
function eventsOf(body: unknown): { events: LeadEvent[]; listed: boolean } {
  let list: unknown[];
  let listed = true;
  if (Array.isArray(body)) {
    list = body;
  } else if (isPlainObject(body) && Array.isArray(body.events)) {
    list = body.events;
  } else if (isPlainObject(body) && Object.hasOwn(body, 'messageType')) {
    list = [body];
    listed = false;
  } else {
    throw new BadRequest(
      'The body must be a lead event ({messageType, lead} or the lead fields next to messageType), an array of events or {events: [...]}',
    );
  }
  if (list.length === 0) throw new BadRequest('The body carries no events');
  const events = list.map((entry, index): LeadEvent => {
    // Paths name the offending part of the body: `events[2].lead`, or `lead` for a single event.
    const at = (key: string) => (listed ? `events[${index}].${key}` : key);
    if (!isPlainObject(entry)) throw new BadRequest(`events[${index}] must be an object`);
    if (!isMessageType(entry.messageType)) {
      throw new BadRequest(
        `${at('messageType')} must be one of ${MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(entry.messageType)}`,
      );
    }
    if (Object.hasOwn(entry, 'lead')) {
      if (!isPlainObject(entry.lead)) throw new BadRequest(`${at('lead')} must be an object`);
      return { messageType: entry.messageType, lead: entry.lead, path: at('lead'), flat: false };
    }
    return {
      messageType: entry.messageType,
      lead: entry,
      path: listed ? `events[${index}]` : '',
      flat: true,
    };
  });
  return { events, listed };
}

function fieldPath(path: string, message: string): string {
  if (path === '') return message;
  return message.startsWith(path) ? message : `${path}: ${message}`;
}

/**
 * Each event's lead: its catalogue fields (R1) with the meeting fields completed (R4), or the first
 * problem found, naming the event. A flat event must carry at least one catalogue field: one that
 * carries none was mapped under other names, which the trigger cannot read.
 */
function leadsOf(parsed: {
  events: LeadEvent[];
  listed: boolean;
}): { leads: IDataObject[] } | { problem: string } {
  const leads: IDataObject[] = [];
  for (const event of parsed.events) {
    try {
      const record = leadRecordOf(event.lead, event.path);
      if (event.flat && Object.keys(record).length === 0) {
        return {
          problem: fieldPath(
            event.path,
            `no lead field found: send the lead as "lead": {...} or its fields (${LEAD_FIELD_KEYS.slice(4, 9).join(', ')}, ...) next to messageType, under their catalogue names`,
          ),
        };
      }
      const lead = withMeetingFields(record);
      // The sender formatted the meeting time in the lead's zone; a body without timeZone (the
      // runner sends only the mapped fields) would otherwise be formatted again in UTC here.
      const sent = record.formattedRequestedMeetingTime;
      if (lead.requestedMeetingTime !== null && typeof sent === 'string' && sent !== '') {
        lead.formattedRequestedMeetingTime = sent;
      }
      leads.push(lead as IDataObject);
    } catch (error) {
      // A flat single event's fields are at the top of the body: `.email` names `email`.
      return { problem: fieldPath(event.path, errorMessage(error).replace(/^\./, '')) };
    }
  }
  return { leads };
}

/** The exact bytes that were signed: n8n keeps them as `req.rawBody` (a Buffer). */
function rawBodyOf(request: unknown, body: unknown): string | Buffer {
  const raw = (request as { rawBody?: unknown } | undefined)?.rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  if (typeof raw === 'string') return raw;
  if (typeof body === 'string') return body;
  return JSON.stringify(body ?? null);
}

function headerText(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value[0];
  return value === '' ? undefined : value;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Answers the request itself (status + JSON error) and starts no execution. */
function reject(
  context: IWebhookFunctions,
  statusCode: number,
  code: string,
  message: string,
): IWebhookResponseData {
  const response = context.getResponseObject();
  response.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify({ error: { code, message } }));
  return { noWebhookResponse: true };
}

/**
 * Receives lead events over HTTP (a Standard Webhooks-signed POST from the lead provider or the
 * Lead Delivery runner) and emits one item per kept event: the lead's catalogue fields, flat, plus
 * `messageType` and `deliveryId` (the `webhook-id`).
 */
export class LeadTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Lead Trigger',
    name: 'leadTrigger',
    icon: {
      light: 'file:leadTrigger.svg',
      dark: 'file:leadTrigger.dark.svg',
    },
    group: ['trigger'],
    version: 1,
    subtitle: '={{($parameter["messageTypes"] || []).join(", ")}}',
    description:
      'Starts the workflow when a new lead or a lead update arrives (Standard Webhooks signed POST)',
    eventTriggerDescription: 'Waiting for a lead event',
    activationMessage:
      "Send lead events (POST, signed with the credential's secret) to the production URL to start this workflow.",
    defaults: {
      name: 'Lead Trigger',
    },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      {
        name: 'standardWebhooksSigningApi',
        required: true,
        testedBy: 'standardWebhooksSigningSecretTest',
        displayOptions: {
          show: {
            verifySignature: [true],
          },
        },
      },
    ],
    webhooks: [
      {
        name: 'default',
        httpMethod: 'POST',
        // Answering after delivery is n8n's 'responseNode' mode: Webhook Deliver answers with the
        // delivery's outcome (see its answerTrigger), so a failed delivery reaches the sender as a
        // status it retries. Without this n8n answers on receipt, whatever happens downstream.
        responseMode: `={{$parameter["respond"] === "${RESPOND_WHEN_RECEIVED}" ? "onReceived" : "responseNode"}}`,
        // Empty, so that n8n sends the trigger's own webhookResponse: left undefined, n8n 2.41
        // falls back to 'firstEntryJson' and sends that word as the body.
        responseData: '',
        path: 'lead-events',
      },
    ],
    properties: [
      {
        displayName: 'Verify Signature',
        name: 'verifySignature',
        type: 'boolean',
        default: true,
        description:
          "Whether to accept only requests whose Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) matches the credential's secret and whose timestamp is within 5 minutes. Others get 401.",
      },
      {
        displayName: 'Respond',
        name: 'respond',
        type: 'options',
        options: [
          {
            name: 'After Delivery',
            value: RESPOND_AFTER_DELIVERY,
            description:
              "Answer once the flow's Webhook Deliver has sent the lead: 200 when delivered, 502 (or 503 with Retry-After) with the receiver's error otherwise, so the sender retries",
          },
          {
            name: 'When Received',
            value: RESPOND_WHEN_RECEIVED,
            description:
              'Answer at once with what was accepted ({received, accepted}), whatever happens downstream',
          },
        ],
        default: RESPOND_AFTER_DELIVERY,
        description: 'When to answer the sender',
      },
      {
        displayName: 'Message Types',
        name: 'messageTypes',
        type: 'multiOptions',
        options: [
          { name: 'New Lead', value: 'new_lead', description: 'A lead assigned to you' },
          {
            name: 'Lead Update',
            value: 'lead_update',
            description: "A lead's requested meeting time changed",
          },
        ],
        default: ['new_lead', 'lead_update'],
        description: 'Which events start the workflow; others are acknowledged and dropped',
      },
      {
        displayName: 'Lead Order IDs',
        name: 'leadOrderIds',
        type: 'string',
        default: '',
        placeholder: 'e.g. lo_4821, lo_4822',
        description:
          'Comma-separated lead order IDs to keep; leave empty to keep the leads of every lead order',
      },
    ],
  };

  methods = {
    credentialTest: {
      [SIGNING_CREDENTIAL_TEST]: testSigningCredential,
    },
  };

  // The sender (the lead provider or the Lead Delivery runner) is configured with this node's URL
  // by hand, so there is nothing to register remotely: the lifecycle only has to report success.
  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        return true;
      },
      async create(this: IHookFunctions): Promise<boolean> {
        return true;
      },
      async delete(this: IHookFunctions): Promise<boolean> {
        return true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const request = this.getRequestObject();
    const headers = this.getHeaderData() as HeaderRecord;
    const body: unknown = this.getBodyData();

    if (this.getNodeParameter('verifySignature', true) !== false) {
      let secrets: string[];
      try {
        secrets = signingSecretsOf(await this.getCredentials(SIGNING_CREDENTIAL));
      } catch (error) {
        // The receiver's own misconfiguration: a 5xx, so that the sender retries until it is fixed.
        return reject(
          this,
          500,
          'signing_not_configured',
          `Signature verification is on but the signing credential is unusable: ${errorMessage(error)}`,
        );
      }
      const verdict = verifySignature({ body: rawBodyOf(request, body), headers, secrets });
      if (!verdict.ok) {
        return reject(this, 401, 'invalid_signature', `Signature rejected: ${verdict.reason}`);
      }
    }

    let parsed: { events: LeadEvent[]; listed: boolean };
    try {
      parsed = eventsOf(body);
    } catch (error) {
      return reject(this, 400, 'invalid_body', errorMessage(error));
    }
    const read = leadsOf(parsed);
    if ('problem' in read) return reject(this, 400, 'invalid_body', read.problem);
    const { leads } = read;

    const messageTypes = this.getNodeParameter('messageTypes', [
      'new_lead',
      'lead_update',
    ]) as string[];
    const leadOrderIds = splitList(String(this.getNodeParameter('leadOrderIds', '') ?? ''));
    const webhookId = headerText(headers['webhook-id']);
    const several = parsed.events.length > 1;

    const items: INodeExecutionData[] = [];
    parsed.events.forEach((event, index) => {
      const lead = leads[index];
      if (!messageTypes.includes(event.messageType)) return;
      if (leadOrderIds.length > 0 && !leadOrderIds.includes(String(lead.leadOrderId ?? ''))) {
        return;
      }
      const json: IDataObject = { ...lead, messageType: event.messageType };
      if (webhookId !== undefined) json.deliveryId = several ? `${webhookId}-${index}` : webhookId;
      items.push({ json });
    });

    // What was accepted: n8n sends this at once when the trigger answers on receipt, and when no
    // event started the flow; otherwise the flow's Webhook Deliver answers once it has delivered.
    const webhookResponse = { received: parsed.events.length, accepted: items.length };
    if (items.length === 0) return { webhookResponse };
    return { webhookResponse, workflowData: [items] };
  }
}
