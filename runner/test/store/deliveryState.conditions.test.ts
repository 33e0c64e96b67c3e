/**
 * The send conditions (store/deliveryState/conditions.ts) through both claims, on the database:
 * for each condition, true and false, what the fast claim does (claims the delivery, or leaves it
 * for the full admission), on its own and at fetch (in the fetch's statement), and what the full
 * admission does (claims it, holds it for a reason, supersedes it, or finds nothing of the job's
 * to send). Each case runs on fresh rows, once per claim, so they never see each other's work.
 */
import { createTestDb, type TestDb } from '../helpers/db.js';
import { admitFully, type Admission } from '../../src/worker/admission.js';
import {
  claimAtFetch,
  fastClaim,
  type ClaimRequest,
  type HoldReason,
  type JobQueue,
} from '../../src/store/deliveryState/index.js';
import type { EnqueueRequest } from '../../src/queue.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel', 'Seller')`);
});
afterAll(async () => {
  await t.drop();
});

const HOUR = 3_600_000;
let serial = 0;

/** The rows one case works on: an endpoint of its own, and the delivery the job asks for. */
interface Rows {
  endpointId: string;
  leadId: string;
  /** The delivery the job names. */
  id: string;
  jobId: string;
}

interface DeliverySpec {
  id?: string;
  messageType?: 'new_lead' | 'lead_update';
  status?: string;
  /** ms from now (negative: in the past). */
  nextAttemptIn?: number;
  /** ms from now, to order the messages of a lead. */
  createdIn?: number;
  claimJobId?: string | null;
  claimJobRun?: number | null;
  leadId?: string;
}

async function insertDelivery(rows: Rows, spec: DeliverySpec): Promise<string> {
  const id = spec.id ?? `msg_${++serial}`;
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, status,
       next_attempt_at, created_at, claim_job_id, claim_job_run, lead_snapshot)
     VALUES ($1, 'sel', $2, $3, $4, $5, now() + $6 * interval '1 millisecond',
       now() + $7 * interval '1 millisecond', $8, $9, '{}')`,
    [
      id,
      rows.endpointId,
      spec.leadId ?? rows.leadId,
      spec.messageType ?? 'new_lead',
      spec.status ?? 'pending',
      spec.nextAttemptIn ?? -1000,
      spec.createdIn ?? 0,
      spec.claimJobId ?? null,
      spec.claimJobRun ?? null,
    ],
  );
  return id;
}

interface EndpointSpec {
  enabled?: boolean;
  maxConcurrency?: number;
  rateLimitPerSecond?: number;
  /** An endpoint_pacing row. */
  pacing?: { circuitState?: string; nextProbeIn?: number; tokens?: number };
}

async function fresh(endpoint: EndpointSpec): Promise<Rows> {
  const n = ++serial;
  const rows: Rows = {
    endpointId: `ep_${n}`,
    leadId: `lead_${n}`,
    id: `msg_${n}`,
    jobId: `job_${n}`,
  };
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret, enabled, max_concurrency,
       rate_limit_per_second)
     VALUES ($1, 'sel', 'CRM', 'https://crm.example.com/leads', 'x', $2, $3, $4)`,
    [
      rows.endpointId,
      endpoint.enabled ?? true,
      endpoint.maxConcurrency ?? null,
      endpoint.rateLimitPerSecond ?? null,
    ],
  );
  if (endpoint.pacing) {
    await t.db.query(
      `INSERT INTO endpoint_pacing (endpoint_id, circuit_state, next_probe_at, tokens, tokens_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4, now())`,
      [
        rows.endpointId,
        endpoint.pacing.circuitState ?? 'closed',
        endpoint.pacing.nextProbeIn ?? null,
        endpoint.pacing.tokens ?? null,
      ],
    );
  }
  return rows;
}

type FullOutcome = 'claims' | HoldReason | 'superseded' | 'not claimable';

interface Case {
  condition: string;
  holds: boolean;
  /** What the case changes from a pending, due new_lead to an enabled, unlimited endpoint. */
  given: string;
  endpoint?: EndpointSpec;
  /** The delivery the job asks for. */
  delivery?: DeliverySpec;
  /** Other deliveries of the same endpoint (and lead, unless they say otherwise). */
  others?: DeliverySpec[];
  /** The job's run (pg-boss's retryCount). */
  jobRun?: number;
  breakerEnabled?: boolean;
  fast: 'claims' | 'leaves';
  full: FullOutcome;
}

const CASES: Case[] = [
  { condition: 'all', holds: true, given: 'nothing', fast: 'claims', full: 'claims' },
  // claimable
  {
    condition: 'claimable',
    holds: false,
    given: 'sending under another job',
    delivery: { status: 'sending', claimJobId: 'job_other', claimJobRun: 0 },
    fast: 'leaves',
    full: 'not claimable',
  },
  {
    condition: 'claimable',
    holds: true,
    given: 'sending under an earlier run of the same job (its worker died)',
    delivery: { status: 'sending', claimJobId: 'same job', claimJobRun: 0 },
    jobRun: 1,
    fast: 'claims',
    full: 'claims',
  },
  {
    condition: 'claimable',
    holds: false,
    given: 'already succeeded',
    delivery: { status: 'succeeded' },
    fast: 'leaves',
    full: 'not claimable',
  },
  // due
  {
    condition: 'due',
    holds: true,
    given: 'its retry time has come',
    delivery: { nextAttemptIn: -1 },
    fast: 'claims',
    full: 'claims',
  },
  {
    condition: 'due',
    holds: false,
    given: 'its retry is an hour away',
    delivery: { nextAttemptIn: HOUR },
    fast: 'leaves',
    full: 'due',
  },
  // firstOfLead (R4 order)
  {
    condition: 'firstOfLead',
    holds: false,
    given: 'an earlier message of the lead is pending',
    others: [{ createdIn: -1000 }],
    fast: 'leaves',
    full: 'order',
  },
  {
    condition: 'firstOfLead',
    holds: true,
    given: 'an earlier message of the lead succeeded',
    others: [{ createdIn: -1000, status: 'succeeded' }],
    fast: 'claims',
    full: 'claims',
  },
  // current (supersession)
  {
    condition: 'current',
    holds: false,
    given: 'a newer lead_update of the lead is pending',
    delivery: { messageType: 'lead_update' },
    others: [{ messageType: 'lead_update', createdIn: 1000 }],
    fast: 'leaves',
    full: 'superseded',
  },
  {
    condition: 'current',
    holds: true,
    given: 'a newer lead_update of the lead failed',
    delivery: { messageType: 'lead_update' },
    others: [{ messageType: 'lead_update', createdIn: 1000, status: 'failed' }],
    fast: 'claims',
    full: 'claims',
  },
  // enabled
  {
    condition: 'enabled',
    holds: false,
    given: 'the endpoint is disabled',
    endpoint: { enabled: false },
    fast: 'leaves',
    full: 'disabled',
  },
  // circuitClosed
  {
    condition: 'circuitClosed',
    holds: false,
    given: 'the circuit is open, its probe an hour away',
    endpoint: { pacing: { circuitState: 'open', nextProbeIn: HOUR } },
    fast: 'leaves',
    full: 'circuit',
  },
  {
    condition: 'circuitClosed',
    holds: true,
    given: 'the circuit is open but the breaker is off',
    endpoint: { pacing: { circuitState: 'open', nextProbeIn: HOUR } },
    breakerEnabled: false,
    fast: 'claims',
    full: 'claims',
  },
  // unlimited
  {
    condition: 'unlimited',
    holds: false,
    given: 'maxConcurrency 1, one delivery in flight',
    endpoint: { maxConcurrency: 1 },
    others: [{ leadId: 'another lead', status: 'sending', claimJobId: 'job_other' }],
    fast: 'leaves',
    full: 'concurrency',
  },
  {
    condition: 'unlimited',
    holds: false,
    given: 'maxConcurrency 1, nothing in flight',
    endpoint: { maxConcurrency: 1 },
    fast: 'leaves',
    full: 'claims',
  },
  {
    condition: 'unlimited',
    holds: false,
    given: 'rateLimitPerSecond 0.01, its bucket empty',
    endpoint: { rateLimitPerSecond: 0.01, pacing: { tokens: 0 } },
    fast: 'leaves',
    full: 'rate',
  },
  {
    condition: 'unlimited',
    holds: false,
    given: 'rateLimitPerSecond 1, its bucket full',
    endpoint: { rateLimitPerSecond: 1 },
    fast: 'leaves',
    full: 'claims',
  },
];

/** Fresh rows for a case; returns them and the job's request. */
async function setUp(c: Case): Promise<{ rows: Rows; request: ClaimRequest }> {
  const rows = await fresh(c.endpoint ?? {});
  await insertDelivery(rows, {
    ...c.delivery,
    id: rows.id,
    claimJobId: c.delivery?.claimJobId === 'same job' ? rows.jobId : c.delivery?.claimJobId,
  });
  for (const other of c.others ?? []) {
    await insertDelivery(rows, {
      ...other,
      leadId: other.leadId ? `${other.leadId} ${rows.leadId}` : undefined,
    });
  }
  return { rows, request: { deliveryId: rows.id, jobId: rows.jobId, jobRun: c.jobRun ?? 0 } };
}

async function row(id: string) {
  const { rows } = await t.db.query<{ status: string; claim_job_id: string | null }>(
    'SELECT status, claim_job_id FROM deliveries WHERE id = $1',
    [id],
  );
  return rows[0];
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

/**
 * The claim at fetch over a stand-in for pg-boss's fetch (one job row asking for the delivery),
 * with room to spare: the ids of the deliveries it claimed.
 */
async function claimedAtFetch(
  request: ClaimRequest,
  endpointId: string,
  breakerEnabled: boolean,
): Promise<string[]> {
  const alongside = claimAtFetch({ byEndpoint: new Map(), otherwise: 10 }, breakerEnabled);
  const { text, values } = alongside.sql({
    text: `SELECT $1::text AS id, $4::int AS "retryCount",
      jsonb_build_object('deliveryId', $2::text, 'endpointId', $3::text) AS data`,
    values: [request.jobId, request.deliveryId, endpointId, request.jobRun],
  });
  const { rows } = await t.db.query(text, values);
  expect(rows).toHaveLength(1);
  return rows.flatMap((row) => alongside.read(row)?.delivery.id ?? []);
}

function heldReasons(admission: Admission): HoldReason[] {
  return (Object.entries(admission.held) as Array<[HoldReason, number]>)
    .filter(([, count]) => count > 0)
    .map(([reason]) => reason);
}

describe.each(CASES)('$condition $holds: $given', (c) => {
  const breakerEnabled = c.breakerEnabled ?? true;

  test(`fast claim ${c.fast}`, async () => {
    const { rows, request } = await setUp(c);
    const before = await row(rows.id);
    const fast = await fastClaim(t.db, [request], breakerEnabled);
    if (c.fast === 'claims') {
      expect([...fast.claimed.keys()]).toEqual([rows.id]);
      expect(await row(rows.id)).toEqual({ status: 'sending', claim_job_id: rows.jobId });
    } else {
      expect(fast.claimed.size).toBe(0);
      expect(await row(rows.id)).toEqual(before);
    }
  });

  test(`claim at fetch ${c.fast}`, async () => {
    const { rows, request } = await setUp(c);
    const before = await row(rows.id);
    const claimed = await claimedAtFetch(request, rows.endpointId, breakerEnabled);
    if (c.fast === 'claims') {
      expect(claimed).toEqual([rows.id]);
      expect(await row(rows.id)).toEqual({ status: 'sending', claim_job_id: rows.jobId });
    } else {
      expect(claimed).toEqual([]);
      expect(await row(rows.id)).toEqual(before);
    }
  });

  test(`full admission: ${c.full}`, async () => {
    const { rows, request } = await setUp(c);
    const { queue, jobs } = recordingQueue();
    const admission = await admitFully(t.db, queue, [request], [], { breakerEnabled });
    const jobsForIt = jobs.filter((job) => job.deliveryId === rows.id);
    const claimed = admission.claimed.map((d) => d.id);
    switch (c.full) {
      case 'claims':
        expect(claimed).toEqual([rows.id]);
        expect(heldReasons(admission)).toEqual([]);
        expect((await row(rows.id)).status).toBe('sending');
        break;
      case 'superseded':
        expect(claimed).toEqual([]);
        expect(admission.superseded).toBe(1);
        expect((await row(rows.id)).status).toBe('superseded');
        break;
      case 'not claimable':
        expect(claimed).toEqual([]);
        expect(heldReasons(admission)).toEqual([]);
        expect(jobsForIt).toEqual([]);
        break;
      default:
        expect(claimed).toEqual([]);
        expect(heldReasons(admission)).toEqual([c.full]);
        expect((await row(rows.id)).status).toBe('pending');
        // Held by a state that someone else ends (and queues it then) keeps no job; held for a
        // time gets a job at that time.
        if (c.full === 'order' || c.full === 'disabled' || c.full === 'circuit') {
          expect(jobsForIt).toEqual([]);
        } else {
          expect(jobsForIt).toEqual([
            expect.objectContaining({ endpointId: rows.endpointId, startAfter: expect.any(Date) }),
          ]);
        }
    }
  });
});

test('the table has every condition, holding and failing', () => {
  const conditions = [
    'claimable',
    'due',
    'firstOfLead',
    'current',
    'enabled',
    'circuitClosed',
    'unlimited',
  ];
  for (const holds of [true, false]) {
    const covered = (name: string) =>
      CASES.some(
        (c) => c.holds === holds && (c.condition === name || (holds && c.condition === 'all')),
      );
    expect(conditions.filter((name) => !covered(name))).toEqual([]);
  }
});

test('a held-back delivery that is not due yet is asked for again at its next attempt time', async () => {
  const rows = await fresh({});
  await insertDelivery(rows, { id: rows.id, nextAttemptIn: HOUR });
  const { rows: found } = await t.db.query<{ next_attempt_at: Date }>(
    'SELECT next_attempt_at FROM deliveries WHERE id = $1',
    [rows.id],
  );
  const { queue, jobs } = recordingQueue();
  await admitFully(t.db, queue, [{ deliveryId: rows.id, jobId: rows.jobId, jobRun: 0 }], [], {
    breakerEnabled: true,
  });
  expect(jobs).toEqual([
    { deliveryId: rows.id, endpointId: rows.endpointId, startAfter: found[0].next_attempt_at },
  ]);
});

test('a circuit probe tries the oldest due delivery, not an older one waiting for its retry', async () => {
  const rows = await fresh({ pacing: { circuitState: 'open', nextProbeIn: -1000 } });
  await insertDelivery(rows, { id: rows.id, nextAttemptIn: HOUR, createdIn: -2000 });
  const due = await insertDelivery(rows, { leadId: `other ${rows.leadId}`, createdIn: -1000 });
  const { queue } = recordingQueue();
  const admission = await admitFully(
    t.db,
    queue,
    [],
    [{ endpointId: rows.endpointId, jobId: 'probe', jobRun: 0 }],
    { breakerEnabled: true },
  );
  expect(admission.claimed.map((d) => d.id)).toEqual([due]);
  expect((await row(rows.id)).status).toBe('pending');
});
