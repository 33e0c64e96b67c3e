/**
 * Prometheus metrics (GET /metrics). The metric objects are exported so the worker can count
 * what it does; the queue depth is read from pg-boss when Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueDepth } from './queue.js';

/** Lead intakes of this process writing to the database, and waiting for a slot to. */
export interface IntakeCounts {
  active: number;
  waiting: number;
}

export const registry = new Registry();
// The event loop delay is sampled ten times less often than prom-client's default, which wakes
// each idle process a hundred times a second and costs an idle runner real CPU, for a gauge
// Prometheus scrapes only every few seconds.
collectDefaultMetrics({
  register: registry,
  prefix: 'lead_delivery_',
  eventLoopMonitoringPrecision: 100,
});

/** Deliveries finished, by outcome: `succeeded` or `failed` (for good). */
export const deliveriesTotal = new Counter({
  name: 'lead_delivery_deliveries_total',
  help: 'Deliveries that reached a final state, by outcome (succeeded, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
deliveriesTotal.inc({ outcome: 'succeeded' }, 0);
deliveriesTotal.inc({ outcome: 'failed' }, 0);

/** One observation per HTTP attempt, by status (`success`, `failure`). */
export const attemptDuration = new Histogram({
  name: 'lead_delivery_attempt_duration_seconds',
  help: 'Duration of delivery attempts (one HTTP POST each), by status (success, failure)',
  labelNames: ['status'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

let depthSource: (() => Promise<QueueDepth>) | null = null;

/** Where the queue depth gauge reads from on scrape (the app sets its queue's `depth`). */
export function setQueueDepthSource(source: (() => Promise<QueueDepth>) | null): void {
  depthSource = source;
}

new Gauge({
  name: 'lead_delivery_queue_depth',
  help: 'Delivery jobs in the pg-boss queue, by state (ready, deferred, active), as of its last monitor pass',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    if (!depthSource) return;
    try {
      const depth = await depthSource();
      this.set({ state: 'ready' }, depth.ready);
      this.set({ state: 'deferred' }, depth.deferred);
      this.set({ state: 'active' }, depth.active);
    } catch {
      // A scrape must not fail because the database is briefly unreachable.
    }
  },
});

let intakeSource: (() => IntakeCounts) | null = null;

/** Where the intake gauge reads from on scrape (the app sets its intake slots' counts). */
export function setIntakeCountsSource(source: (() => IntakeCounts) | null): void {
  intakeSource = source;
}

new Gauge({
  name: 'lead_delivery_intake_transactions',
  help: 'Lead intakes of this process by state: writing to the database (active), or waiting for one of the INTAKE_MAX_TRANSACTIONS slots (waiting)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    if (!intakeSource) return;
    const counts = intakeSource();
    this.set({ state: 'active' }, counts.active);
    this.set({ state: 'waiting' }, counts.waiting);
  },
});
