/**
 * The alert worker: sends queued alerts (alerts/events.ts) to their seller's alert URL. It runs on
 * pg-boss's own worker over the `alerts` queue, apart from the delivery pipeline, so alerts never
 * take a delivery's place; at most one alert of a seller is in flight per process (the job's
 * group), so one seller's hanging or failing alert URL holds back no one else's alerts.
 *
 * The URL and secret are read when the alert is sent, so a seller who changes its URL gets the
 * alerts still queued at the new one, and one who clears it gets none. A send that fails in a way
 * that may pass (timeout, connection refused, 5xx, 429) throws, and pg-boss retries it with backoff
 * (queue.ts ALERT_JOB_DEFAULTS); one that cannot pass (the guard refused the address, a 4xx) is
 * logged and dropped.
 */
import type { Logger } from 'pino';

import type { Config } from '../config.js';
import type { Db } from '../db/types.js';
import type { AlertJobData, DeliveryQueue } from '../queue.js';
import { getAlertSettings } from '../store/alerts.js';
import type { SecretBox } from '../store/secretBox.js';
import { guardedAlertDispatcher, sendAlert } from './sender.js';

/** Alerts sent at once by one process (at most one of them per seller). */
export const ALERT_CONCURRENCY = 4;

export interface AlertWorkerDeps {
  db: Db;
  queue: Pick<DeliveryQueue, 'workAlerts'>;
  box: SecretBox;
  config: Pick<Config, 'allowedPrivateTargets'>;
  logger: Logger;
}

export async function sendQueuedAlert(deps: AlertWorkerDeps, job: AlertJobData): Promise<void> {
  const settings = await getAlertSettings(deps.db, deps.box, job.sellerId);
  if (!settings?.url || !settings.signingSecret) return; // alerts were switched off meanwhile
  const result = await sendAlert({
    url: settings.url,
    signingSecret: settings.signingSecret,
    alert: { id: job.id, body: job.body },
    dispatcher: guardedAlertDispatcher(deps.config.allowedPrivateTargets),
  });
  if (result.success) return;
  if (result.outcome === 'retryable') {
    throw new Error(`alert ${job.id} not delivered: ${result.error ?? 'no answer'}`);
  }
  deps.logger.warn(
    { alertId: job.id, sellerId: job.sellerId, type: job.type, error: result.error },
    'alert refused by its receiver; not retried',
  );
}

export async function startAlertWorker(deps: AlertWorkerDeps): Promise<void> {
  await deps.queue.workAlerts(ALERT_CONCURRENCY, (job) => sendQueuedAlert(deps, job));
}
