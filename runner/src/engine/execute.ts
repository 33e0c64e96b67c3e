import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import { Workflow, createRunExecutionData } from 'n8n-workflow';
import type {
  IConnections,
  INode,
  INodeExecutionData,
  IRun,
  IWorkflowBase,
  IWorkflowExecuteAdditionalData,
  IWorkflowSettings,
} from 'n8n-workflow';

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
 * runs one per endpoint: a CPU profile of P3 showed the construction at ~4% of the worker). An
 * execution only reads its Workflow (nodes, connections, settings; the static data only trigger
 * and poll functions write, which a seeded run never calls), so concurrent executions share one.
 * Keyed by content, not by endpoint: an endpoint that changes gets a new entry, never a stale one.
 */
const compiledWorkflows = new Map<string, Workflow>();
const COMPILED_WORKFLOWS_MAX = 1000;

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
    if (compiledWorkflows.size >= COMPILED_WORKFLOWS_MAX) compiledWorkflows.clear();
    compiledWorkflows.set(key, workflow);
  }
  return workflow;
}

export function findStartNode(workflow: WorkflowDefinition): INode {
  const start = workflow.nodes.find((node) => !node.disabled && node.type.endsWith('.leadTrigger'));
  if (!start) throw new Error(`Workflow "${workflow.name}" has no Lead Trigger node to start from`);
  return start;
}

export interface ExecutionOptions {
  /** Decrypted credential data by credential id, visible to this execution only. */
  credentials?: Record<string, Record<string, unknown>>;
  executionId?: string;
}

/**
 * Runs a workflow headless with the Lead Trigger's output seeded with `items` (mode `trigger`
 * passes seeded items straight through the start node) and resolves when n8n reports the run done.
 */
export async function executeWorkflow(
  definition: WorkflowDefinition,
  items: INodeExecutionData[],
  options: ExecutionOptions = {},
): Promise<IRun> {
  const workflow = compiledWorkflow(definition);
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
  // The shared Workflow's own node object (its parameters resolved by n8n), not the caller's.
  const start = findStartNode(definition);
  const runExecutionData = createRunExecutionData({
    executionData: {
      nodeExecutionStack: [
        {
          node: workflow.getNode(start.name) ?? start,
          data: { main: [items] },
          source: null,
        },
      ],
    },
  });
  const execution = new WorkflowExecute(
    buildAdditionalData(hooks, credentialsHelper),
    'trigger',
    runExecutionData,
  );
  const returned = await execution.processRunExecutionData(workflow);
  // The hook fires before processRunExecutionData settles; both carry the same run.
  return Promise.race([finished, Promise.resolve(returned)]);
}
