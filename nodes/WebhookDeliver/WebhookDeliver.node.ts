import { randomUUID } from 'node:crypto';

import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';

import { sendWebhook, type AttemptResult } from '../../core/deliver.js';
import { validateHeaders } from '../../core/headers.js';
import { redactHeaders } from '../../core/redact.js';
import type { HeaderPair } from '../../core/types.js';
import { carriedKeys, errorItem, errorMessage, toNodeOperationError } from '../shared/items.js';
import { mapWithLimit } from '../shared/limit.js';
import { deliverySettingsOf } from '../shared/deliverySettings.js';
import { parameterReader, type ParameterReader } from '../shared/parameters.js';
import { webhookDeliverTransport } from './transport.js';
import { triggerAnswer, triggerAwaitsDelivery } from './triggerAnswer.js';
import {
  SIGNING_CREDENTIAL,
  SIGNING_CREDENTIAL_TEST,
  signingSecretsOf,
  testSigningCredential,
} from '../shared/signingCredential.js';

const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 30000;
/** Requests of one execution in flight at once, at most (the Concurrency parameter's range). */
export const MAX_CONCURRENCY = 100;

interface HeadersParameter {
  header?: Array<Partial<HeaderPair>>;
}

/** One item ready to send, or the reason it cannot be sent. */
type Prepared =
  | {
      kind: 'send';
      url: string;
      body: string;
      contentType: string;
      headers: HeaderPair[];
      timeoutMs: number;
      messageId: string;
      test: boolean;
      signingSecrets?: string[];
    }
  | { kind: 'error'; error: NodeOperationError };

/** Headers as a host's settings give them, rather than as the Headers parameter holds them. */
function isHeaderList(
  value: HeadersParameter | readonly HeaderPair[],
): value is readonly HeaderPair[] {
  return Array.isArray(value);
}

function headersOf(parameter: HeadersParameter): HeaderPair[] {
  return (parameter.header ?? []).map((entry) => ({
    name: String(entry.name ?? '').trim(),
    value: entry.value === undefined || entry.value === null ? '' : String(entry.value),
  }));
}

/** The URL to send to, or why the parameter value is not one. */
function checkUrl(value: string): { url: string; problem?: undefined } | { problem: string } {
  const text = value.trim();
  if (!URL.canParse(text))
    return { problem: `URL ${JSON.stringify(value)} is not an absolute URL` };
  const { protocol } = new URL(text);
  if (protocol !== 'http:' && protocol !== 'https:') {
    return { problem: `URL must use http or https, not ${protocol.replace(/:$/, '')}` };
  }
  return { url: text };
}

function outputOf(
  json: IDataObject,
  messageId: string,
  url: string,
  result: AttemptResult,
): IDataObject {
  const { messageType } = carriedKeys(json);
  return {
    messageType: (messageType as IDataObject[string]) ?? null,
    deliveryId: messageId,
    url,
    success: result.success,
    outcome: result.outcome,
    statusCode: result.statusCode ?? null,
    durationMs: result.durationMs,
    error: result.error ?? null,
    retryAfterMs: result.retryAfterMs ?? null,
    responseExcerpt: result.responseExcerpt ?? null,
    responseInvalidUtf8: result.responseInvalidUtf8 === true,
    location: result.location ?? null,
    startedAt: result.startedAt,
    requestHeaders: redactHeaders(result.requestHeaders) as IDataObject,
    cause: result.cause ?? null,
  };
}

/**
 * Sends each Format Payload item (`{messageType, deliveryId?, body, contentType}`) once, as a POST
 * (spec R5: no redirects followed, timeout, Standard Webhooks headers), and outputs what happened.
 * A failed HTTP attempt is an output item with `success: false`, not a node error: flows branch on
 * it. Only bad parameters (URL, headers, timeout) and items without a body are errors.
 */
export class WebhookDeliver implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Webhook Deliver',
    name: 'webhookDeliver',
    icon: {
      light: 'file:webhookDeliver.svg',
      dark: 'file:webhookDeliver.dark.svg',
    },
    group: ['output'],
    version: 1,
    subtitle: '={{"POST " + $parameter["url"]}}',
    description:
      'POST formatted lead payloads to a webhook once each (Standard Webhooks signed) and output status, duration, error and response',
    defaults: {
      name: 'Webhook Deliver',
    },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      {
        name: 'standardWebhooksSigningApi',
        required: true,
        testedBy: 'standardWebhooksSigningSecretTest',
        displayOptions: {
          show: {
            signRequests: [true],
          },
        },
      },
    ],
    properties: [
      {
        displayName: 'URL',
        name: 'url',
        type: 'string',
        default: '',
        required: true,
        placeholder: 'https://example.com/webhooks/leads',
        description:
          'The webhook URL the payload is POSTed to (http or https). Redirects are not followed.',
      },
      {
        displayName: 'Headers',
        name: 'headers',
        type: 'fixedCollection',
        typeOptions: {
          multipleValues: true,
        },
        placeholder: 'Add Header',
        default: {},
        description:
          'Custom HTTP headers. Host, Content-Length, Transfer-Encoding, Connection, Content-Type, User-Agent and the webhook-* headers are set by the delivery and refused here.',
        options: [
          {
            displayName: 'Header',
            name: 'header',
            values: [
              {
                displayName: 'Name',
                name: 'name',
                type: 'string',
                default: '',
                placeholder: 'e.g. X-Api-Key',
              },
              {
                displayName: 'Value',
                name: 'value',
                type: 'string',
                default: '',
              },
            ],
          },
        ],
      },
      {
        displayName: 'Timeout (Ms)',
        name: 'timeoutMs',
        type: 'number',
        typeOptions: {
          minValue: MIN_TIMEOUT_MS,
          maxValue: MAX_TIMEOUT_MS,
        },
        default: 10000,
        description: 'How long to wait for the response, in milliseconds (1000–30000)',
      },
      {
        displayName: 'Sign Requests',
        name: 'signRequests',
        type: 'boolean',
        default: false,
        description:
          'Whether to add the Standard Webhooks webhook-signature header, signed with the secret(s) of the credential',
      },
      {
        displayName: 'Concurrency',
        name: 'concurrency',
        type: 'number',
        typeOptions: {
          minValue: 1,
          maxValue: MAX_CONCURRENCY,
        },
        default: 10,
        description: 'How many requests of one execution may be in flight at once (1–100)',
      },
    ],
  };

  methods = {
    credentialTest: {
      [SIGNING_CREDENTIAL_TEST]: testSigningCredential,
    },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    if (items.length === 0) return [[]];
    const hostSettings = deliverySettingsOf(this);
    const read: ParameterReader = parameterReader(this);
    const concurrency = Number(hostSettings?.concurrency ?? read<number>('concurrency', 0, 10));
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new NodeOperationError(
        this.getNode(),
        `Concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`,
      );
    }

    // Secrets are read once per execution, on the first item that signs.
    let secrets: string[] | undefined;
    const signingSecrets = async (itemIndex: number): Promise<string[]> => {
      secrets ??= signingSecretsOf(await this.getCredentials(SIGNING_CREDENTIAL, itemIndex));
      return secrets;
    };

    // Derived values cached per parameter object: fixed parameters come back as the same object.
    let lastHeadersParameter: HeadersParameter | readonly HeaderPair[] | undefined;
    let lastHeaders: { headers: HeaderPair[]; problems: string[] } = { headers: [], problems: [] };
    let lastUrl: { raw?: string; url?: string; problem?: string } = {};

    // 1. Prepare every item before sending any: a bad parameter fails the node without a
    //    half-sent batch (unless Continue On Fail turns it into that item's error).
    const prepared: Prepared[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const json = items[itemIndex].json;
      try {
        const rawUrl = hostSettings?.url ?? String(read<string>('url', itemIndex, ''));
        if (rawUrl !== lastUrl.raw) lastUrl = { raw: rawUrl, ...checkUrl(rawUrl) };
        if (lastUrl.problem !== undefined) throw new Error(lastUrl.problem);

        const headersParameter: HeadersParameter | readonly HeaderPair[] =
          hostSettings?.headers ?? read<HeadersParameter>('headers', itemIndex, {});
        if (headersParameter !== lastHeadersParameter) {
          const headers = isHeaderList(headersParameter)
            ? [...headersParameter]
            : headersOf(headersParameter);
          lastHeaders = {
            headers,
            problems: validateHeaders(headers).map((p) => `${p.path}: ${p.message}`),
          };
          lastHeadersParameter = headersParameter;
        }
        if (lastHeaders.problems.length > 0) {
          throw new Error(`Invalid headers: ${lastHeaders.problems.join('; ')}`);
        }

        const timeoutMs = Number(
          hostSettings?.timeoutMs ?? read<number>('timeoutMs', itemIndex, 10000),
        );
        if (
          !Number.isFinite(timeoutMs) ||
          timeoutMs < MIN_TIMEOUT_MS ||
          timeoutMs > MAX_TIMEOUT_MS
        ) {
          throw new Error(
            `Timeout must be from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS} ms, got ${timeoutMs}`,
          );
        }

        if (typeof json.body !== 'string') {
          throw new Error(
            `Item ${itemIndex} has no "body" string: Webhook Deliver expects the output of Format Payload ({body, contentType})`,
          );
        }
        const contentType =
          typeof json.contentType === 'string' && json.contentType !== ''
            ? json.contentType
            : 'application/json';
        const carried = carriedKeys(json);
        const messageId = carried.deliveryId ?? `msg_${randomUUID()}`;
        const sign = read<boolean>('signRequests', itemIndex, false) === true;
        prepared.push({
          kind: 'send',
          url: lastUrl.url as string,
          body: json.body,
          contentType,
          headers: lastHeaders.headers,
          timeoutMs,
          messageId,
          test: carried.test === true,
          signingSecrets: sign ? await signingSecrets(itemIndex) : undefined,
        });
      } catch (error) {
        const nodeError = toNodeOperationError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        prepared.push({ kind: 'error', error: nodeError });
      }
    }

    // 2. Send, at most `concurrency` in flight; output order is input order. A cancelled
    //    execution (the runner's time limit, a stop in the n8n app) abandons its open requests.
    const cancelSignal = this.getExecutionCancelSignal();
    const outputs = await mapWithLimit(prepared, concurrency, async (entry, itemIndex) => {
      const json = items[itemIndex].json;
      if (entry.kind === 'error') return errorItem(json, entry.error.message, itemIndex);
      try {
        const { lookup, dispatcher, userAgent } = webhookDeliverTransport();
        const result = await sendWebhook({
          url: entry.url,
          body: entry.body,
          contentType: entry.contentType,
          headers: entry.headers,
          timeoutMs: entry.timeoutMs,
          messageId: entry.messageId,
          test: entry.test,
          signingSecrets: entry.signingSecrets,
          lookup,
          dispatcher,
          userAgent,
          signal: cancelSignal,
        });
        return {
          json: outputOf(json, entry.messageId, entry.url, result),
          pairedItem: { item: itemIndex },
        };
      } catch (error) {
        // sendWebhook reports HTTP and network failures as results; a throw is unexpected.
        return new NodeOperationError(this.getNode(), errorMessage(error), { itemIndex });
      }
    });

    const returnData: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < outputs.length; itemIndex++) {
      const output = outputs[itemIndex];
      if (output instanceof NodeOperationError) {
        if (!this.continueOnFail()) throw output;
        returnData.push(errorItem(items[itemIndex].json, output.message, itemIndex));
      } else {
        returnData.push(output);
      }
    }
    // A Lead Trigger set to respond after delivery waits for this answer (n8n 'responseNode'
    // mode); n8n keeps the first answer of an execution, so a second Webhook Deliver is ignored.
    if (triggerAwaitsDelivery(this)) await this.sendResponse(triggerAnswer(returnData));
    return [returnData];
  }
}
