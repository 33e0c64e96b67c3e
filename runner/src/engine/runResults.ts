import type { INodeExecutionData, IPairedItemData, IRun, ITaskData } from 'n8n-workflow';

import type { WorkflowDefinition } from './execute.js';

/** One output item of a node, traced back to the seeded start item it came from. */
export interface TracedItem {
  nodeName: string;
  outputIndex: number;
  /** Index into the items the execution was seeded with; null when the lineage is lost. */
  startIndex: number | null;
  json: INodeExecutionData['json'];
}

function firstPairedItem(item: INodeExecutionData): IPairedItemData | null {
  const paired = item.pairedItem;
  if (paired === undefined || paired === null) return null;
  if (typeof paired === 'number') return { item: paired };
  if (Array.isArray(paired)) return paired[0] ?? null;
  return paired;
}

/**
 * Walks pairedItem links from an output item back through each node's input source to the start
 * node. n8n records, per run, which previous node/output fed each input.
 */
function traceToStart(
  run: IRun,
  startNodeName: string,
  nodeName: string,
  item: INodeExecutionData,
  runIndex: number,
): number | null {
  const runData = run.data.resultData.runData;
  let currentNode = nodeName;
  let currentRun = runIndex;
  let currentItem: INodeExecutionData = item;
  for (let depth = 0; depth < 100; depth++) {
    const paired = firstPairedItem(currentItem);
    if (!paired) return null;
    if (currentNode === startNodeName) return paired.item;
    const task: ITaskData | undefined = runData[currentNode]?.[currentRun];
    const source = paired.sourceOverwrite ?? task?.source?.[paired.input ?? 0];
    if (!source) return null;
    const previousTask = runData[source.previousNode]?.[source.previousNodeRun ?? 0];
    const previousItems = previousTask?.data?.main?.[source.previousNodeOutput ?? 0];
    const previousItem = previousItems?.[paired.item];
    if (!previousItem) return null;
    currentNode = source.previousNode;
    currentRun = source.previousNodeRun ?? 0;
    currentItem = previousItem;
  }
  return null;
}

/** Every output item of every node of `nodeType`, each traced to its start item. */
export function outputsOfNodeType(
  run: IRun,
  definition: WorkflowDefinition,
  nodeType: string,
  startNodeName: string,
): TracedItem[] {
  const runData = run.data.resultData.runData;
  const traced: TracedItem[] = [];
  for (const node of definition.nodes) {
    if (node.type !== nodeType) continue;
    const tasks = runData[node.name] ?? [];
    tasks.forEach((task, runIndex) => {
      const outputs = task.data?.main ?? [];
      outputs.forEach((items, outputIndex) => {
        for (const item of items ?? []) {
          traced.push({
            nodeName: node.name,
            outputIndex,
            startIndex: traceToStart(run, startNodeName, node.name, item, runIndex),
            json: item.json,
          });
        }
      });
    });
  }
  return traced;
}

/** The first node error of a run, if any, as a plain message. */
export function runError(run: IRun): string | null {
  const error = run.data.resultData.error;
  if (error) return error.message;
  for (const [nodeName, tasks] of Object.entries(run.data.resultData.runData)) {
    for (const task of tasks) if (task.error) return `${nodeName}: ${task.error.message}`;
  }
  return null;
}
