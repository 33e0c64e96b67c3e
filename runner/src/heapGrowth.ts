import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * Caps how far V8 lets the old generation grow past what survived its last full collection.
 * A worker's batches live long enough to be promoted, and V8's own factor (up to 4x at a high
 * allocation rate) let that garbage pile up to ~390 MB of RSS around ~90 MB of live data; 1.6x
 * holds a worker near 235 MB at about the same throughput (docs/benchmarks.md, P6). The flag
 * is read at every heap limit computation, so setting it after start takes effect; Node
 * refuses it in NODE_OPTIONS, so a flag given on node's command line wins over the setting.
 */
export function applyHeapGrowth(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (percent <= 0) return false;
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`))) return false;
  setFlags(`${FLAG}=${percent}`);
  return true;
}
