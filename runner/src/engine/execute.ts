import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import { Workflow, createRunExecutionData } from 'n8n-workflow';
import type {
  IConnections,
  INode,
  INodeExecutionData,
  IRun,
  IWorkflowBase,
  IWorkflowExecuteAdditionalData,
  IWorkflowIssues,
  IWorkflowSettings,
} from 'n8n-workflow';

import {
  DELIVERY_SETTINGS_KEY,
  type DeliverySettings,
} from '../../../nodes/shared/deliverySettings.js';
import { BoundedCache } from '../../../core/boundedCache.js';
import { InMemoryCredentialsHelper } from './credentialsHelper.js';
import { LeadDeliveryNodeTypes } from './nodeTypes.js';

/** The parts of an n8n workflow export the engine needs. */
export interface WorkflowDefinition {
  id: string;
  name: string;
  nodes: INode[];
  connections: IConnections;
  settings?: IWorkflowSettings;
}

const LOCAL_BASE_URL = 'http://127.0.0.1/';

let sharedNodeTypes: LeadDeliveryNodeTypes | undefined;

/** One registry for the process: node classes are stateless, building them once is enough. */
export function nodeTypes(): LeadDeliveryNodeTypes {
  sharedNodeTypes ??= new LeadDeliveryNodeTypes();
  return sharedNodeTypes;
}

/**
 * n8n-core resolves every base URL while reading node parameters, so each must be an absolute
 * URL even though nothing headless ever serves them.
 */
function buildAdditionalData(
  hooks: ExecutionLifecycleHooks,
  credentialsHelper: InMemoryCredentialsHelper,
): IWorkflowExecuteAdditionalData {
  const additionalData: Partial<IWorkflowExecuteAdditionalData> = {
    hooks,
    credentialsHelper,
    currentNodeExecutionIndex: 0,
    restApiUrl: LOCAL_BASE_URL,
    instanceBaseUrl: LOCAL_BASE_URL,
    formBaseUrl: LOCAL_BASE_URL,
    formWaitingBaseUrl: LOCAL_BASE_URL,
    formTestBaseUrl: LOCAL_BASE_URL,
    webhookBaseUrl: LOCAL_BASE_URL,
    webhookWaitingBaseUrl: LOCAL_BASE_URL,
    webhookTestBaseUrl: LOCAL_BASE_URL,
    mcpBaseUrl: LOCAL_BASE_URL,
    mcpTestBaseUrl: LOCAL_BASE_URL,
    variables: {},
    logAiEvent: () => {},
    executeWorkflow: async () => {
      throw new Error('Sub-workflows are not available in the lead delivery runner');
    },
    getRunExecutionData: async () => undefined,
    getRuntimeCredential: async () => undefined,
    startRunnerTask: async () => {
      throw new Error('Task runners are not available in the lead delivery runner');
    },
  };
  return additionalData as IWorkflowExecuteAdditionalData;
}

/**
 * n8n Workflow objects by their definition's content. Building one resolves every node's
 * parameters, and a worker runs the same endpoint's template batch after batch (a fan-out batch
 * runs one per endpoint, and the construction showed in a worker's CPU profile). An
 * execution only reads its Workflow (nodes, connections, settings; the static data only trigger
 * and poll functions write, which a seeded run never calls), so concurrent executions share one.
 * Keyed by content, not by endpoint: an endpoint that changes gets a new entry, never a stale one.
 */
const compiledWorkflows = new BoundedCache<string, Workflow>(1000);

function compiledWorkflow(definition: WorkflowDefinition): Workflow {
  const key = JSON.stringify([
    definition.id,
    definition.name,
    definition.nodes,
    definition.connections,
    definition.settings ?? {},
  ]);
  let workflow = compiledWorkflows.get(key);
  if (!workflow) {
    workflow = new Workflow({
      id: definition.id,
      name: definition.name,
      nodes: definition.nodes,
      connections: definition.connections,
      nodeTypes: nodeTypes(),
      active: false,
      settings: definition.settings ?? {},
    });
    compiledWorkflows.set(key, workflow);
  }
  return workflow;
}

/**
 * A definition with its compiled Workflow and start node, for a caller that runs the same
 * definition many times (the worker, an endpoint's template batch after batch): looking the
 * Workflow up by content serializes the whole definition, once per execution, which a fan-out
 * batch of small groups pays many times over. The definition must not
 * change afterwards; a changed endpoint gets a new one.
 */
export interface PreparedWorkflow {
  readonly definition: WorkflowDefinition;
  readonly workflow: Workflow;
  readonly startNode: INode;
}

export function prepareWorkflow(definition: WorkflowDefinition): PreparedWorkflow {
  const workflow = compiledWorkflow(definition);
  const start = findStartNode(definition);
  // The shared Workflow's own node object (its parameters resolved by n8n), not the caller's.
  return { definition, workflow, startNode: workflow.getNode(start.name) ?? start };
}

function isPrepared(value: WorkflowDefinition | PreparedWorkflow): value is PreparedWorkflow {
  return 'workflow' in value && value.workflow instanceof Workflow;
}

/** Compiled workflows whose nodes n8n found ready to run from the given start node. */
const readyFromStart = new WeakMap<Workflow, Set<string>>();

/**
 * WorkflowExecute that checks a compiled workflow's node parameters once per start node, not at
 * every run: n8n validates every node's parameters against its description before each execution
 * (a visible share of a small execution), and a shared compiled Workflow never changes. Only a
 * clean result is remembered; a workflow with issues is checked, and refused, every time.
 */
class HeadlessWorkflowExecute extends WorkflowExecute {
  override checkReadyForExecution(
    workflow: Workflow,
    inputData: Parameters<WorkflowExecute['checkReadyForExecution']>[1] = {},
  ): IWorkflowIssues | null {
    const { startNode, destinationNode, pinDataNodeNames } = inputData;
    const cacheable =
      startNode !== undefined && destinationNode === undefined && !pinDataNodeNames?.length;
    const ready = readyFromStart.get(workflow);
    if (cacheable && ready?.has(startNode)) return null;
    const issues = super.checkReadyForExecution(workflow, inputData);
    if (cacheable && issues === null) {
      if (ready) ready.add(startNode);
      else readyFromStart.set(workflow, new Set([startNode]));
    }
    return issues;
  }
}

/**
 * n8n gives every run a 256-bit random resume token (for Wait and Form nodes to resume a paused
 * execution by URL), and with a token it builds both resume URLs with URL parsing in every
 * node's context, work a small execution feels. A
 * headless run is never paused nor resumed (the runner's registry has no Wait or Form node), so it
 * carries none: n8n then leaves the URLs without one.
 */
const NO_RESUME_TOKEN = '';

export function findStartNode(workflow: WorkflowDefinition): INode {
  const start = workflow.nodes.find((node) => !node.disabled && node.type.endsWith('.leadTrigger'));
  if (!start) throw new Error(`Workflow "${workflow.name}" has no Lead Trigger node to start from`);
  return start;
}

export interface ExecutionOptions {
  /** Decrypted credential data by credential id, visible to this execution only. */
  credentials?: Record<string, Record<string, unknown>>;
  /**
   * An endpoint's settings, handed to the nodes as data in the execution's flow context
   * (nodes/shared/deliverySettings.ts): a seller's values never become parameter text.
   */
  deliverySettings?: DeliverySettings;
  /**
   * How long the execution may run. A run still going then is cancelled (its nodes' cancel signal
   * fires, so Webhook Deliver abandons its open requests) and executeWorkflow rejects with an
   * ExecutionTimeLimitError, so a stuck execution never holds its caller.
   */
  timeLimitMs?: number;
  executionId?: string;
}

export class ExecutionTimeLimitError extends Error {
  constructor(readonly timeLimitMs: number) {
    super(`the workflow execution did not finish within ${timeLimitMs} ms and was cancelled`);
    this.name = 'ExecutionTimeLimitError';
  }
}

/**
 * Runs a workflow headless with the Lead Trigger's output seeded with `items` (mode `trigger`
 * passes seeded items straight through the start node) and resolves when n8n reports the run done.
 */
export async function executeWorkflow(
  workflowToRun: WorkflowDefinition | PreparedWorkflow,
  items: INodeExecutionData[],
  options: ExecutionOptions = {},
): Promise<IRun> {
  const prepared = isPrepared(workflowToRun) ? workflowToRun : prepareWorkflow(workflowToRun);
  const { definition, workflow, startNode } = prepared;
  const executionId = options.executionId ?? 'runner';
  const workflowData = {
    id: definition.id,
    name: definition.name,
    nodes: definition.nodes,
    connections: definition.connections,
    active: false,
    isArchived: false,
    activeVersionId: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    settings: definition.settings ?? {},
  } satisfies IWorkflowBase;
  const hooks = new ExecutionLifecycleHooks('trigger', executionId, workflowData);
  let reportFinished: (run: IRun) => void = () => {};
  const finished = new Promise<IRun>((resolve) => (reportFinished = resolve));
  hooks.addHandler('workflowExecuteAfter', (run) => reportFinished(run));

  const credentialsHelper = new InMemoryCredentialsHelper(
    new Map(Object.entries(options.credentials ?? {}) as Array<[string, never]>),
  );
  const runExecutionData = createRunExecutionData({
    resumeToken: NO_RESUME_TOKEN,
    executionData: {
      contextData: options.deliverySettings
        ? { flow: { [DELIVERY_SETTINGS_KEY]: options.deliverySettings } }
        : {},
      nodeExecutionStack: [
        {
          node: startNode,
          data: { main: [items] },
          source: null,
        },
      ],
    },
  });
  const execution = new HeadlessWorkflowExecute(
    buildAdditionalData(hooks, credentialsHelper),
    'trigger',
    runExecutionData,
  );
  const running = execution.processRunExecutionData(workflow);
  // The hook fires before processRunExecutionData settles; both carry the same run.
  const done = Promise.race([finished, running]);
  const { timeLimitMs } = options;
  if (timeLimitMs === undefined) return done;

  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const expiry = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      running.cancel();
      resolve();
    }, timeLimitMs);
  });
  try {
    // On cancellation n8n reports a cancelled run through the hook as well: the flag, not which
    // promise settled first, says whether the limit struck.
    const run = await Promise.race([done, expiry]);
    if (expired || !run) throw new ExecutionTimeLimitError(timeLimitMs);
    return run;
  } finally {
    clearTimeout(timer);
  }
}
