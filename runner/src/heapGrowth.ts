import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * How far, in percent, V8 may let the old generation grow past what survived its last full
 * collection. Chosen by the benchmark (bench/history.md, HEAP_GROWING_PERCENT): a worker's
 * batches live long enough to be promoted, and V8's own factor, which grows with the allocation
 * rate, lets that garbage pile up to several times the live data; a lower cap costs throughput
 * to more frequent full collections.
 */
export const HEAP_GROWING_PERCENT = 60;

/**
 * Sets V8's heap growing factor for this process. The flag is read at every heap limit
 * computation, so setting it after start takes effect. Node refuses it in NODE_OPTIONS, so a
 * flag given on node's command line (`node --heap-growing-percent=N`) wins: the way to another
 * trade between memory and CPU.
 */
export function applyHeapGrowth(
  percent: number = HEAP_GROWING_PERCENT,
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (percent <= 0) return false;
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`))) return false;
  setFlags(`${FLAG}=${percent}`);
  return true;
}
