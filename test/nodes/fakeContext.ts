/**
 * A small stand-in for the `this` n8n hands a node: enough of IExecuteFunctions and
 * IWebhookFunctions to call `execute` / `webhook` directly in unit tests.
 *
 * Parameters: a plain value is a fixed parameter; a function `(itemIndex, json) => value` stands
 * for an n8n expression (the node's raw parameters then hold an `=...` string, as in n8n), so a
 * node that caches fixed parameters must still read this one per item. Every read returns a fresh
 * copy, as n8n's getNodeParameter does.
 */
import type {
  ICredentialDataDecryptedObject,
  IDataObject,
  IExecuteFunctions,
  INode,
  INodeExecutionData,
  IWebhookFunctions,
} from 'n8n-workflow';

/** A node's output item as tests read it: json is walked freely, so it is typed loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;
export type OutputItem = { json: Loose; pairedItem: unknown };

export type ParameterValue = unknown | ((itemIndex: number, json: IDataObject) => unknown);

export interface FakeOptions {
  parameters?: Record<string, ParameterValue>;
  items?: Array<IDataObject | INodeExecutionData>;
  continueOnFail?: boolean;
  credentials?: Record<string, ICredentialDataDecryptedObject>;
  nodeType?: string;
  /** The execution's flow context (`getContext('flow')`), where a host hands over settings. */
  flowContext?: Record<string, unknown>;
  /** The execution's cancel signal. */
  cancelSignal?: AbortSignal;
  /** The nodes upstream of the node under test (`getParentNodes`), with their parameters. */
  parentNodes?: Array<{ name: string; type: string; disabled?: boolean; parameters?: IDataObject }>;
}

export interface CallLog {
  getNodeParameter: Array<{ name: string; itemIndex?: number }>;
  getCredentials: string[];
  /** What the node answered the request that started its execution (`sendResponse`). */
  sentResponses: unknown[];
}

function toItems(items: Array<IDataObject | INodeExecutionData>): INodeExecutionData[] {
  return items.map((item) =>
    'json' in item && typeof item.json === 'object' && item.json !== null
      ? (item as INodeExecutionData)
      : { json: item as IDataObject },
  );
}

function fakeNode(options: FakeOptions): INode {
  const parameters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options.parameters ?? {})) {
    parameters[name] = typeof value === 'function' ? `={{ $json.${name} }}` : value;
  }
  return {
    id: 'node-1',
    name: 'Node Under Test',
    type: options.nodeType ?? 'n8n-nodes-lead-delivery.test',
    typeVersion: 1,
    position: [0, 0],
    parameters: parameters as INode['parameters'],
  };
}

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function baseContext(options: FakeOptions, log: CallLog, items: INodeExecutionData[]) {
  const node = fakeNode(options);
  const parameters = options.parameters ?? {};
  const readParameter = (name: string, itemIndex: number, fallback: unknown): unknown => {
    log.getNodeParameter.push({ name, itemIndex });
    if (Object.hasOwn(parameters, name)) {
      const value = parameters[name];
      if (typeof value === 'function') {
        return copy(value(itemIndex, items[itemIndex]?.json ?? {}));
      }
      return copy(value);
    }
    if (fallback !== undefined) return fallback;
    throw new Error(`Could not get parameter "${name}"`);
  };
  return {
    node,
    readParameter,
    common: {
      getNode: () => node,
      continueOnFail: () => options.continueOnFail === true,
      getCredentials: async (type: string) => {
        log.getCredentials.push(type);
        const credentials = options.credentials?.[type];
        if (!credentials) throw new Error(`Node "${node.name}" does not have any credentials set`);
        return copy(credentials);
      },
    },
  };
}

export function executeContext(options: FakeOptions = {}): {
  context: IExecuteFunctions;
  log: CallLog;
} {
  const log: CallLog = { getNodeParameter: [], getCredentials: [], sentResponses: [] };
  const items = toItems(options.items ?? []);
  const { common, readParameter, node } = baseContext(options, log, items);
  const context = {
    ...common,
    getInputData: () => items,
    getContext: (type: string) => (type === 'flow' ? (options.flowContext ?? {}) : {}),
    getExecutionCancelSignal: () => options.cancelSignal,
    getParentNodes: () =>
      (options.parentNodes ?? []).map((parent) => ({
        typeVersion: 1,
        disabled: false,
        ...structuredClone(parent),
      })),
    sendResponse: async (response: unknown) => {
      log.sentResponses.push(structuredClone(response));
    },
    // n8n's `rawExpressions` hands back the stored value as it is, expressions unresolved.
    getNodeParameter: (
      name: string,
      itemIndex: number,
      fallback?: unknown,
      readOptions?: { rawExpressions?: boolean },
    ) =>
      readOptions?.rawExpressions
        ? (node.parameters[name] ?? fallback)
        : readParameter(name, itemIndex, fallback),
    helpers: {
      returnJsonArray: (data: IDataObject | IDataObject[]) =>
        (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
    },
  };
  return { context: context as unknown as IExecuteFunctions, log };
}

export interface RecordedResponse {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  ended: boolean;
}

export interface WebhookRequestOptions {
  body: unknown;
  /** The raw bytes; defaults to JSON.stringify(body). `null` leaves rawBody unset. */
  rawBody?: Buffer | null;
  headers?: Record<string, string>;
}

export function webhookContext(
  request: WebhookRequestOptions,
  options: FakeOptions = {},
): { context: IWebhookFunctions; log: CallLog; response: RecordedResponse } {
  const log: CallLog = { getNodeParameter: [], getCredentials: [], sentResponses: [] };
  const { common, readParameter } = baseContext(options, log, []);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  const rawBody =
    request.rawBody === null
      ? undefined
      : (request.rawBody ?? Buffer.from(JSON.stringify(request.body)));
  const req = { body: request.body, headers, rawBody, method: 'POST' };
  const response: RecordedResponse = { ended: false };
  const res = {
    writeHead(statusCode: number, responseHeaders?: Record<string, string>) {
      response.statusCode = statusCode;
      response.headers = { ...(response.headers ?? {}), ...(responseHeaders ?? {}) };
      return res;
    },
    status(statusCode: number) {
      response.statusCode = statusCode;
      return res;
    },
    setHeader(name: string, value: string) {
      response.headers = { ...(response.headers ?? {}), [name]: value };
      return res;
    },
    json(data: unknown) {
      response.headers = { ...(response.headers ?? {}), 'Content-Type': 'application/json' };
      response.body = JSON.stringify(data);
      response.ended = true;
      return res;
    },
    send(data: unknown) {
      response.body = typeof data === 'string' ? data : JSON.stringify(data);
      response.ended = true;
      return res;
    },
    end(data?: string | Buffer) {
      if (data !== undefined) response.body = String(data);
      response.ended = true;
      return res;
    },
  };
  const context = {
    ...common,
    getNodeParameter: (name: string, fallback?: unknown) => readParameter(name, 0, fallback),
    getRequestObject: () => req,
    getResponseObject: () => res,
    getHeaderData: () => headers,
    getBodyData: () => request.body,
    getWebhookName: () => 'default',
    getMode: () => 'webhook',
    helpers: {
      returnJsonArray: (data: IDataObject | IDataObject[]) =>
        (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
    },
  };
  return { context: context as unknown as IWebhookFunctions, log, response };
}
