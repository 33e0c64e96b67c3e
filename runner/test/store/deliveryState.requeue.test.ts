/**
 * A retried job whose worker died finds its delivery still sending under the job's earlier
 * run, and only that job may take it over. A job that does not send it must hand it back to
 * pending (store/deliveryState/requeue.ts `releaseTakeovers`), or it stays sending with no job
 * for good: when the worker defers the job to a new one (seen in the crash-window fault test: a
 * second worker whose slow lane was stuck deferred the dead worker's retried jobs), and when the
 * full admission holds it (a disabled endpoint, an open circuit, a limit).
 */
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fastClaim, requeueDeferred, type JobQueue } from '../../src/store/deliveryState/index.js';
import type { EnqueueRequest } from '../../src/queue.js';
import { admitFully } from '../../src/worker/admission.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel', 'Seller')`);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret)
     VALUES ('ep', 'sel', 'CRM', 'https://crm.example.com/leads', 'x')`,
  );
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret, enabled)
     VALUES ('ep_disabled', 'sel', 'CRM', 'https://crm.example.com/leads', 'x', false)`,
  );
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret, max_concurrency)
     VALUES ('ep_one', 'sel', 'CRM', 'https://crm.example.com/leads', 'x', 1)`,
  );
});
afterAll(async () => {
  await t.drop();
});

let serial = 0;

/** A delivery, claimed by `claim` (job id and job run) when given, else pending. */
async function delivery(
  claim?: { jobId: string; jobRun: number },
  endpointId = 'ep',
): Promise<string> {
  const id = `msg_${++serial}`;
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, status,
       attempt_count, claim_job_id, claim_job_run, next_attempt_at, lead_snapshot)
     VALUES ($1, 'sel', $7, $2, 'new_lead', $3, $4, $5, $6, now() - interval '1 second', '{}')`,
    [
      id,
      `lead_${serial}`,
      claim ? 'sending' : 'pending',
      claim ? 1 : 0,
      claim?.jobId ?? null,
      claim?.jobRun ?? null,
      endpointId,
    ],
  );
  return id;
}

function recordingQueue(): { queue: JobQueue; jobs: EnqueueRequest[] } {
  const jobs: EnqueueRequest[] = [];
  return {
    jobs,
    queue: {
      enqueueDeliveries: async (_tx, requests) => {
        jobs.push(...requests);
      },
    },
  };
}

async function state(id: string) {
  const { rows } = await t.db.query<{
    status: string;
    attempt_count: number;
    claim_job_id: string | null;
    claim_job_run: number | null;
  }>('SELECT status, attempt_count, claim_job_id, claim_job_run FROM deliveries WHERE id = $1', [
    id,
  ]);
  return rows[0];
}

/** Defers the job `{id, retryCount}` asking for `deliveryId`; returns the jobs queued. */
async function defer(
  deliveryId: string,
  job: { id: string; retryCount: number },
): Promise<EnqueueRequest[]> {
  const { queue, jobs } = recordingQueue();
  const startAfter = new Date(Date.now() + 60_000);
  await t.db.transaction((tx) =>
    requeueDeferred(tx, queue, [job], [{ deliveryId, endpointId: 'ep', startAfter }]),
  );
  return jobs;
}

test("a retried job's takeover goes back to pending, and its new job claims it", async () => {
  const id = await delivery({ jobId: 'job_a', jobRun: 0 });
  const jobs = await defer(id, { id: 'job_a', retryCount: 1 });
  expect(jobs).toEqual([expect.objectContaining({ deliveryId: id, endpointId: 'ep' })]);
  // The dead worker's attempt (its send) stays counted, as a takeover would count it.
  expect(await state(id)).toEqual({
    status: 'pending',
    attempt_count: 1,
    claim_job_id: null,
    claim_job_run: null,
  });
  const claimed = await fastClaim(t.db, [{ deliveryId: id, jobId: 'job_new', jobRun: 0 }], true);
  expect([...claimed.claimed.keys()]).toEqual([id]);
  expect(await state(id)).toMatchObject({ status: 'sending', claim_job_id: 'job_new' });
});

test('a delivery sending under another job is left alone', async () => {
  const other = await delivery({ jobId: 'job_other', jobRun: 0 });
  await defer(other, { id: 'job_b', retryCount: 1 });
  expect(await state(other)).toMatchObject({ status: 'sending', claim_job_id: 'job_other' });
});

test("a first job run's delivery stays pending and gets its new job", async () => {
  const id = await delivery();
  const jobs = await defer(id, { id: 'job_c', retryCount: 0 });
  expect(jobs).toEqual([expect.objectContaining({ deliveryId: id })]);
  expect(await state(id)).toMatchObject({ status: 'pending', attempt_count: 0 });
});

test('a takeover held by a disabled endpoint goes back to pending, without a job', async () => {
  const id = await delivery({ jobId: 'job_d', jobRun: 0 }, 'ep_disabled');
  const { queue, jobs } = recordingQueue();
  const admission = await admitFully(
    t.db,
    queue,
    [{ deliveryId: id, jobId: 'job_d', jobRun: 1 }],
    [],
    { breakerEnabled: true },
  );
  expect(admission.held.disabled).toBe(1);
  expect(jobs).toEqual([]);
  // Pending, it is among what enabling the endpoint queues again.
  expect(await state(id)).toMatchObject({ status: 'pending', claim_job_id: null });
});

test('a takeover held by maxConcurrency (itself in flight) goes back to pending with a job', async () => {
  const id = await delivery({ jobId: 'job_m', jobRun: 0 }, 'ep_one');
  const { queue, jobs } = recordingQueue();
  const held = await admitFully(t.db, queue, [{ deliveryId: id, jobId: 'job_m', jobRun: 1 }], [], {
    breakerEnabled: true,
  });
  expect(held.held.concurrency).toBe(1);
  expect(jobs).toEqual([expect.objectContaining({ deliveryId: id, endpointId: 'ep_one' })]);
  expect(await state(id)).toMatchObject({ status: 'pending', claim_job_id: null });
  // No longer counted in flight: the job queued for it claims it.
  const next = await admitFully(t.db, queue, [{ deliveryId: id, jobId: 'job_n', jobRun: 0 }], [], {
    breakerEnabled: true,
  });
  expect(next.claimed.map((d) => d.id)).toEqual([id]);
});
