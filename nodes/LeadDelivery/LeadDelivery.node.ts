import {
  NodeApiError,
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type IExecuteFunctions,
  type IHttpRequestMethods,
  type ILoadOptionsFunctions,
  type INodeExecutionData,
  type INodePropertyOptions,
  type INodeType,
  type INodeTypeDescription,
  type JsonObject,
} from 'n8n-workflow';

import { errorMessage, toNodeOperationError } from '../shared/items.js';

/** The credential every operation authenticates with: the runner's base URL and a seller key. */
const API_CREDENTIAL = 'leadDeliveryApi';
const HISTORY_PAGE_LIMIT = 100;

type Operation = 'listEndpoints' | 'sendTest' | 'getHistory' | 'resendDelivery' | 'replayFailed';

interface ApiCall {
  method: IHttpRequestMethods;
  path: string;
  qs?: IDataObject;
  body?: IDataObject;
}

interface ApiResponse {
  statusCode: number;
  body: unknown;
}

type RequestContext = IExecuteFunctions | ILoadOptionsFunctions;

function segment(value: string, name: string): string {
  const text = value.trim();
  if (text === '') throw new Error(`${name} is required`);
  return encodeURIComponent(text);
}

/** The runner's own words for a refusal: `{error: {code, message, details}}`. */
function runnerError(response: ApiResponse): string {
  const error = (
    response.body as { error?: { code?: unknown; message?: unknown; details?: unknown } }
  )?.error;
  if (error && typeof error.message === 'string') {
    const details = Array.isArray(error.details)
      ? error.details
          .map(
            (d: { path?: unknown; message?: unknown }) => `${String(d.path)}: ${String(d.message)}`,
          )
          .join('; ')
      : '';
    return `${error.message}${details ? ` (${details})` : ''}`;
  }
  return `HTTP ${response.statusCode}`;
}

/** One call to the runner's API with the credential's key; a refusal throws the runner's message. */
async function callRunner(context: RequestContext, call: ApiCall): Promise<unknown> {
  const credentials = await context.getCredentials(API_CREDENTIAL);
  const baseUrl = String(credentials.baseUrl ?? '').replace(/\/+$/, '');
  const response = (await context.helpers.httpRequestWithAuthentication.call(
    context,
    API_CREDENTIAL,
    {
      method: call.method,
      url: `${baseUrl}${call.path}`,
      qs: call.qs,
      body: call.body,
      json: true,
      // Answers are read here, so that the runner's error message reaches the operator as it is.
      ignoreHttpStatusErrors: true,
      returnFullResponse: true,
    },
  )) as ApiResponse;
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new NodeApiError(context.getNode(), (response.body ?? {}) as JsonObject, {
      message: `The Lead Delivery runner answered ${response.statusCode}: ${runnerError(response)}`,
      httpCode: String(response.statusCode),
    });
  }
  return response.body;
}

function itemsOf(list: unknown): IDataObject[] {
  const items = (list as { items?: unknown })?.items;
  return Array.isArray(items) ? (items as IDataObject[]) : [];
}

/** One operation for one input item: the runner's answer as output items. */
async function runOperation(context: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const operation = context.getNodeParameter('operation', itemIndex) as Operation;
  const endpointPath = () =>
    `/v1/endpoints/${segment(String(context.getNodeParameter('endpointId', itemIndex, '')), 'Endpoint')}`;
  switch (operation) {
    case 'listEndpoints':
      return itemsOf(await callRunner(context, { method: 'GET', path: '/v1/endpoints' }));
    case 'sendTest':
      return [
        (await callRunner(context, {
          method: 'POST',
          path: `${endpointPath()}/test`,
        })) as IDataObject,
      ];
    case 'getHistory': {
      const status = String(context.getNodeParameter('status', itemIndex, 'all'));
      const returnAll = context.getNodeParameter('returnAll', itemIndex, false) === true;
      const limit = returnAll ? Infinity : Number(context.getNodeParameter('limit', itemIndex, 50));
      const path = `${endpointPath()}/history`;
      const attempts: IDataObject[] = [];
      let cursor: string | null = null;
      do {
        const qs: IDataObject = {
          limit: Math.min(HISTORY_PAGE_LIMIT, limit - attempts.length),
        };
        if (status !== 'all') qs.status = status;
        if (cursor) qs.cursor = cursor;
        const page = (await callRunner(context, { method: 'GET', path, qs })) as {
          nextCursor?: string | null;
        };
        attempts.push(...itemsOf(page));
        cursor = typeof page?.nextCursor === 'string' ? page.nextCursor : null;
      } while (cursor && attempts.length < limit);
      return attempts;
    }
    case 'resendDelivery': {
      const id = segment(
        String(context.getNodeParameter('deliveryId', itemIndex, '')),
        'Delivery ID',
      );
      return [
        (await callRunner(context, {
          method: 'POST',
          path: `/v1/deliveries/${id}/resend`,
        })) as IDataObject,
      ];
    }
    case 'replayFailed': {
      const body: IDataObject = {
        status: 'failed',
        from: instantText(context.getNodeParameter('from', itemIndex, ''), 'From'),
      };
      const to = context.getNodeParameter('to', itemIndex, '');
      if (to !== '' && to !== null && to !== undefined) body.to = instantText(to, 'To');
      return [
        (await callRunner(context, {
          method: 'POST',
          path: `${endpointPath()}/replay`,
          body,
        })) as IDataObject,
      ];
    }
    default:
      throw new NodeOperationError(context.getNode(), `Unknown operation "${String(operation)}"`, {
        itemIndex,
      });
  }
}

/**
 * The Lead Delivery runner's API inside n8n, for an operator's flows: list the seller's endpoints,
 * send a test, read an endpoint's delivery history, resend one failed delivery or replay the
 * failed deliveries of a period. Every call is the runner's API (docs: GET /v1/openapi.json) with
 * the Lead Delivery API credential; nothing is decided here.
 */
export class LeadDelivery implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Lead Delivery',
    name: 'leadDelivery',
    icon: {
      light: 'file:leadDelivery.svg',
      dark: 'file:leadDelivery.dark.svg',
    },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["operation"]}}',
    description:
      'Operate the Lead Delivery runner: list endpoints, send a test, read the delivery history, resend or replay failed deliveries',
    defaults: {
      name: 'Lead Delivery',
    },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: API_CREDENTIAL, required: true }],
    properties: [
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        options: [
          {
            name: 'Get History',
            value: 'getHistory',
            description: "An endpoint's delivery attempts, newest first",
            action: 'Get the delivery history of an endpoint',
          },
          {
            name: 'List Endpoints',
            value: 'listEndpoints',
            description: "The seller's webhook endpoints, each with its last delivery",
            action: 'List the endpoints',
          },
          {
            name: 'Replay Failed Deliveries',
            value: 'replayFailed',
            description: "Send an endpoint's failed deliveries of a period again",
            action: 'Replay the failed deliveries of an endpoint',
          },
          {
            name: 'Resend Delivery',
            value: 'resendDelivery',
            description: 'Send one failed delivery again',
            action: 'Resend a failed delivery',
          },
          {
            name: 'Send Test',
            value: 'sendTest',
            description: 'Send a sample lead to an endpoint now and get its answer',
            action: 'Send a test to an endpoint',
          },
        ],
        default: 'listEndpoints',
      },
      {
        displayName: 'Endpoint Name or ID',
        name: 'endpointId',
        type: 'options',
        typeOptions: { loadOptionsMethod: 'getEndpoints' },
        default: '',
        required: true,
        description:
          'The endpoint. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
        displayOptions: { show: { operation: ['sendTest', 'getHistory', 'replayFailed'] } },
      },
      {
        displayName: 'Delivery ID',
        name: 'deliveryId',
        type: 'string',
        default: '',
        required: true,
        placeholder: 'e.g. msg_01JS8K4N2Q7X…',
        description: 'The failed delivery to send again (its webhook-id)',
        displayOptions: { show: { operation: ['resendDelivery'] } },
      },
      {
        displayName: 'Status',
        name: 'status',
        type: 'options',
        options: [
          { name: 'All', value: 'all' },
          { name: 'Failure', value: 'failure' },
          { name: 'Success', value: 'success' },
        ],
        default: 'all',
        description: 'Which attempts to return',
        displayOptions: { show: { operation: ['getHistory'] } },
      },
      {
        displayName: 'Return All',
        name: 'returnAll',
        type: 'boolean',
        default: false,
        description: 'Whether to return all results or only up to a given limit',
        displayOptions: { show: { operation: ['getHistory'] } },
      },
      {
        displayName: 'Limit',
        name: 'limit',
        type: 'number',
        typeOptions: { minValue: 1 },
        default: 50,
        description: 'Max number of results to return',
        displayOptions: { show: { operation: ['getHistory'], returnAll: [false] } },
      },
      {
        displayName: 'From',
        name: 'from',
        type: 'dateTime',
        default: '',
        required: true,
        description: 'Replay failed deliveries created at or after this instant',
        displayOptions: { show: { operation: ['replayFailed'] } },
      },
      {
        displayName: 'To',
        name: 'to',
        type: 'dateTime',
        default: '',
        description: 'And before this instant; leave empty for now',
        displayOptions: { show: { operation: ['replayFailed'] } },
      },
    ],
  };

  methods = {
    loadOptions: {
      async getEndpoints(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
        const list = await callRunner(this, { method: 'GET', path: '/v1/endpoints' });
        return itemsOf(list).map((endpoint) => ({
          name: `${String(endpoint.name)} (${String(endpoint.url)})`,
          value: String(endpoint.id),
        }));
      },
    },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const returnData: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      try {
        const results = await runOperation(this, itemIndex);
        for (const json of results) returnData.push({ json, pairedItem: { item: itemIndex } });
      } catch (error) {
        if (!this.continueOnFail()) {
          if (error instanceof NodeApiError) {
            throw new NodeApiError(this.getNode(), error.errorResponse ?? {}, {
              message: error.message,
              httpCode: error.httpCode ?? undefined,
              itemIndex,
            });
          }
          throw toNodeOperationError(this.getNode(), error, itemIndex);
        }
        returnData.push({ json: { error: errorMessage(error) }, pairedItem: { item: itemIndex } });
      }
    }
    return [returnData];
  }
}

/**
 * n8n's dateTime parameter gives a local date-time without an offset (`2026-04-22T19:45:00`) or
 * whatever an expression makes; the runner wants an instant with its offset, so a value without
 * one is read as UTC. The runner checks the instant itself.
 */
function instantText(value: unknown, name: string): string {
  const text = value instanceof Date ? value.toISOString() : String(value ?? '').trim();
  if (text === '') throw new Error(`${name} is required`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return `${text}Z`;
  return text;
}
