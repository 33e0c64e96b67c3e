/**
 * Small helpers the nodes share: the keys every item carries from node to node
 * (docs/architecture.md, "Items between the nodes"), error items for continueOnFail, and the
 * reading of a lead record out of an item.
 */
import {
  NodeOperationError,
  type IDataObject,
  type INode,
  type INodeExecutionData,
} from 'n8n-workflow';

import { LEAD_FIELDS } from '../../core/catalogue.js';
import { isMessageType } from '../../core/mapping.js';
import { MESSAGE_TYPES, type LeadRecord, type MessageType } from '../../core/types.js';

export { isMessageType };

/** The keys a node copies from its input item to its output item. */
export interface CarriedKeys {
  messageType?: unknown;
  deliveryId?: string;
  /** A Send test's item: Webhook Deliver marks its request with `webhook-test: true`. */
  test?: true;
}

export function carriedKeys(json: IDataObject): CarriedKeys {
  const carried: CarriedKeys = {};
  if (Object.hasOwn(json, 'messageType')) carried.messageType = json.messageType;
  if (typeof json.deliveryId === 'string' && json.deliveryId !== '') {
    carried.deliveryId = json.deliveryId;
  }
  if (json.test === true) carried.test = true;
  return carried;
}

/** `{json: {error, ...carried keys}, pairedItem}`: what a failed item becomes under continueOnFail. */
export function errorItem(
  json: IDataObject,
  message: string,
  itemIndex: number,
): INodeExecutionData {
  return {
    json: { error: message, ...(carriedKeys(json) as IDataObject) },
    pairedItem: { item: itemIndex },
  };
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** `error` as the NodeOperationError n8n shows for item `itemIndex` (unchanged when it is one). */
export function toNodeOperationError(
  node: INode,
  error: unknown,
  itemIndex: number,
): NodeOperationError {
  if (error instanceof NodeOperationError) return error;
  return new NodeOperationError(node, error instanceof Error ? error : String(error), {
    itemIndex,
  });
}

/**
 * The item's messageType, defaulting to `new_lead` when absent. Throws a readable message when the
 * item carries something else.
 */
export function messageTypeOf(json: IDataObject): MessageType {
  const value = json.messageType;
  if (value === undefined || value === null || value === '') return 'new_lead';
  if (isMessageType(value)) return value;
  throw new Error(
    `Unknown messageType ${JSON.stringify(value)}: expected one of ${MESSAGE_TYPES.join(', ')}`,
  );
}

export function isPlainObject(value: unknown): value is IDataObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The catalogue fields (R1) of `source`, in catalogue order, copied with Object.hasOwn (nothing
 * from a prototype, nothing outside the catalogue). Numbers and booleans become strings; other
 * non-string values are refused with a message naming `path` and the key.
 */
export function leadRecordOf(source: IDataObject, path = 'lead'): LeadRecord {
  const lead: LeadRecord = {};
  for (const { key } of LEAD_FIELDS) {
    if (!Object.hasOwn(source, key)) continue;
    const value = source[key];
    if (value === undefined) continue;
    if (value === null || typeof value === 'string') {
      lead[key] = value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      lead[key] = String(value);
    } else {
      throw new Error(`${path}.${key} must be a string or null`);
    }
  }
  return lead;
}
