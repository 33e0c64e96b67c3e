// The receiver scenarios of issue 18 (P7–P9): sellers whose receivers answer at once, after a
// delay or never, against the real API and worker processes of one runner root (this checkout, or
// a baseline prepared by bench/baseline.js), with bench/mixedReceiver.js as every receiver.
const os = require('node:os');
const pg = require('pg');
const lib = require('./lib');
const { LEAD, anyOpen, intake } = require('./scenarios');

/** How each class of receiver is reached: bench/mixedReceiver.js answers by path. */
const CLASSES = {
  immediate: { path: '/now', receiverClass: 'now' },
  delayed: { path: '/delay/200', receiverClass: 'delay' },
  hanging: { path: '/hang', receiverClass: 'hang' },
};
/** P7's sellers: most receivers answer after ~200 ms, some at once, a few never. */
const P7_MIX = { immediate: 8, delayed: 40, hanging: 2 };
const ENDPOINT_TIMEOUT_MS = 10_000;
/**
 * The capacity settings: given to the runner's processes only when set for the benchmark (the
 * API reads INTAKE_MAX_TRANSACTIONS, the worker the others).
 */
const CAPACITY_SETTINGS = [
  'WORKER_MAX_IN_FLIGHT',
  'ENDPOINT_MAX_IN_FLIGHT',
  'INTAKE_MAX_TRANSACTIONS',
];
/**
 * A worker finishes its in-flight deliveries on SIGTERM, which with hanging receivers is their
 * whole timeout; the scenario has its figures by then, and its database is dropped after.
 */
const WORKER_STOP_GRACE_MS = 1000;
const SETUP_CONCURRENCY = 8;
const INTAKE_CONCURRENCY = 32;
const DELIVERED_TIMEOUT_MS = 180_000;
/** How much longer a run waits for the hanging class's requests, which are only reported. */
const HANGING_ARRIVAL_WAIT_MS = 15_000;

function capacityEnv() {
  return Object.fromEntries(
    CAPACITY_SETTINGS.filter((name) => process.env[name]).map((name) => [name, process.env[name]]),
  );
}

/** "WORKER_MAX_IN_FLIGHT=default, ENDPOINT_MAX_IN_FLIGHT=50, …": what the runner was given. */
function capacityLabel() {
  return CAPACITY_SETTINGS.map((name) => `${name}=${process.env[name] || 'default'}`).join(', ');
}

function summary(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: lib.percentile(sorted, 50),
    p99: lib.percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/**
 * Keeps `promise` in `list` for a later Promise.all, marked as handled meanwhile: a request that
 * fails while the schedule goes on must fail the scenario there, not end the process first.
 */
function keep(list, promise) {
  promise.catch(() => {});
  list.push(promise);
}

async function untilDue(due) {
  const wait = due - performance.now();
  if (wait > 1) await lib.sleep(wait);
}

/**
 * The API of `root`. BENCH_API_NICE=10 lowers its CPU priority (a diagnosis in bench/history.md:
 * how much of the receivers' tail under a burst is the worker's share of the CPU, which it
 * shares with the API when both run on one machine).
 */
async function startApi(root, databaseUrl) {
  const api = await lib.startRunner('api', databaseUrl, capacityEnv(), { root });
  if (process.env.BENCH_API_NICE) os.setPriority(api.child.pid, Number(process.env.BENCH_API_NICE));
  return api;
}

/**
 * An API and a worker of `root`; both get the capacity settings, and the worker's circuit breaker
 * is off: with it, ten timeouts pause a hanging endpoint (10 s or more into a run), and the old
 * code's figures would then depend on how long a run lasts rather than on hanging receivers.
 */
async function startRunners(root, databaseUrl) {
  const api = await startApi(root, databaseUrl);
  const worker = await lib.startRunner(
    'worker',
    databaseUrl,
    { ...capacityEnv(), CIRCUIT_BREAKER_THRESHOLD: '0' },
    { root },
  );
  const client = lib.api(api.baseUrl);
  return {
    client,
    api,
    worker,
    stop: async () => {
      await client.close();
      await worker.stop(WORKER_STOP_GRACE_MS);
      await api.stop();
    },
  };
}

/** `{ immediate: 2, hanging: 1 }` → classes spread evenly: immediate, hanging, immediate. */
function spreadClasses(mix) {
  return Object.entries(mix)
    .flatMap(([cls, count]) =>
      Array.from({ length: count }, (_, i) => ({ cls, at: (i + 0.5) / count })),
    )
    .sort((a, b) => a.at - b.at)
    .map(({ cls }) => cls);
}

/** One seller per entry of `classes`, each with its own lead order and one endpoint of its class. */
async function createSellers(client, receiverBase, classes, endpointExtra = {}) {
  const sellers = new Array(classes.length);
  await lib.pool(classes.length, SETUP_CONCURRENCY, async (i) => {
    const cls = classes[i];
    const seller = await client.provider('/v1/sellers', { name: `Receiver seller ${i}` });
    const order = await client.provider('/v1/lead-orders', {
      sellerId: seller.id,
      name: `LO ${i}`,
    });
    const endpoint = await client.seller(seller.apiKey, 'POST', '/v1/endpoints', {
      name: `${cls} ${i}`,
      url: `${receiverBase}${CLASSES[cls].path}`,
      timeoutMs: ENDPOINT_TIMEOUT_MS,
      ...endpointExtra,
    });
    sellers[i] = { cls, seller, order, endpoint };
  });
  return sellers;
}

/** Lead `i` to the next seller in turn; its deliveries noted with the time the API answered. */
async function sendLead(client, sellers, i, accepted) {
  const target = sellers[i % sellers.length];
  const answer = await client.provider('/v1/leads', {
    leadOrderId: target.order.id,
    lead: LEAD(i),
  });
  const at = lib.wallMs();
  for (const delivery of answer.deliveries) {
    accepted.set(delivery.id, { at, cls: target.cls, index: i });
  }
}

/** Waits until the receiver has seen every accepted delivery of `classes` (by class counts). */
async function waitForClasses(receiver, accepted, classes, timeoutMs) {
  const expected = Object.fromEntries(classes.map((cls) => [cls, 0]));
  for (const { cls } of accepted.values()) if (cls in expected) expected[cls] += 1;
  await lib.waitFor(async () => {
    const counts = await receiver.ask('counts');
    return classes.every(
      (cls) => counts.classes[CLASSES[cls].receiverClass].distinct >= expected[cls],
    );
  }, timeoutMs);
}

async function waitForHanging(receiver, accepted) {
  try {
    await waitForClasses(receiver, accepted, ['hanging'], HANGING_ARRIVAL_WAIT_MS);
  } catch {
    // reported as fewer arrivals than sent
  }
}

/** Per class: accept → arrival percentiles, arrivals per second since `startedAt`, duplicates. */
function classSummaries(accepted, arrivals, counts, startedAt, include = () => true) {
  const result = {};
  for (const cls of Object.keys(CLASSES)) {
    const latencies = [];
    let sent = 0;
    let lastArrival = -Infinity;
    for (const [id, entry] of accepted) {
      if (entry.cls !== cls || !include(entry)) continue;
      sent += 1;
      const arrived = arrivals[id];
      if (arrived === undefined) continue;
      latencies.push(arrived - entry.at);
      lastArrival = Math.max(lastArrival, arrived);
    }
    const stats = summary(latencies);
    result[cls] = {
      ...stats,
      sent,
      lastArrival,
      perSecond: stats.count / ((lastArrival - startedAt) / 1000),
      duplicates: counts.classes[CLASSES[cls].receiverClass].duplicates,
    };
  }
  return result;
}

/** P7: a burst of `leads` over `mix`'s sellers, 32 POSTs at a time, API and worker running. */
async function realReceivers({ root, databaseUrl, receiver, leads, mix = P7_MIX }) {
  const runners = await startRunners(root, databaseUrl);
  try {
    const sellers = await createSellers(runners.client, receiver.base, spreadClasses(mix));
    await receiver.reset();
    const accepted = new Map();
    const startedAt = lib.wallMs();
    await lib.pool(leads, INTAKE_CONCURRENCY, (i) =>
      sendLead(runners.client, sellers, i, accepted),
    );
    const intakeEndedAt = lib.wallMs();
    await waitForClasses(receiver, accepted, ['immediate', 'delayed'], DELIVERED_TIMEOUT_MS);
    await waitForHanging(receiver, accepted);
    const counts = await receiver.ask('counts');
    const classes = classSummaries(accepted, await receiver.arrivals(), counts, startedAt);
    const lastDelivered = Math.max(classes.immediate.lastArrival, classes.delayed.lastArrival);
    const delivered = classes.immediate.count + classes.delayed.count;
    return {
      leads,
      sellers: mix,
      classes,
      intakeSeconds: (intakeEndedAt - startedAt) / 1000,
      deliveredAfterIntakeMs: lastDelivered - intakeEndedAt,
      deliveredPerSecond: delivered / ((lastDelivered - startedAt) / 1000),
      peakOpen: counts.peakOpen,
    };
  } finally {
    await runners.stop();
  }
}

/** P7s: the same sellers at a steady rate; the first `rampSeconds` stay out of the figures. */
async function realReceiversSteady({
  root,
  databaseUrl,
  receiver,
  perSecond,
  seconds,
  rampSeconds,
  mix = P7_MIX,
}) {
  const runners = await startRunners(root, databaseUrl);
  try {
    const sellers = await createSellers(runners.client, receiver.base, spreadClasses(mix));
    await receiver.reset();
    const accepted = new Map();
    const ramp = perSecond * rampSeconds;
    const total = ramp + perSecond * seconds;
    const startedAt = lib.wallMs();
    const started = performance.now();
    const sends = [];
    for (let i = 0; i < total; i++) {
      await untilDue(started + (i * 1000) / perSecond);
      keep(sends, sendLead(runners.client, sellers, i, accepted));
    }
    await Promise.all(sends);
    await waitForClasses(receiver, accepted, ['immediate', 'delayed'], DELIVERED_TIMEOUT_MS);
    await waitForHanging(receiver, accepted);
    const counts = await receiver.ask('counts');
    const arrivals = await receiver.arrivals();
    const measured = (entry) => entry.index >= ramp;
    return {
      perSecond,
      seconds,
      leads: total - ramp,
      classes: classSummaries(accepted, arrivals, counts, startedAt, measured),
    };
  } finally {
    await runners.stop();
  }
}

async function deliveryCounts(databaseUrl) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'succeeded') AS succeeded,
              (SELECT count(*)::int FROM attempts WHERE status = 'failure') AS failed_attempts`,
    );
    return rows[0];
  } finally {
    await db.end();
  }
}

/**
 * P9: one seller with `endpoints` endpoints answering after `delayMs`, so that each lead fans out
 * to that many slow deliveries. The API takes every lead first; the clock runs from the worker's
 * start until no delivery is open (as P1's).
 */
async function manySlowEndpoints({ root, databaseUrl, receiver, endpoints, leads, delayMs }) {
  const api = await startApi(root, databaseUrl);
  const client = lib.api(api.baseUrl);
  let endpointIds;
  try {
    const seller = await client.provider('/v1/sellers', { name: 'Many endpoints' });
    const order = await client.provider('/v1/lead-orders', { sellerId: seller.id, name: 'LO' });
    endpointIds = new Array(endpoints);
    await lib.pool(endpoints, SETUP_CONCURRENCY, async (e) => {
      const endpoint = await client.seller(seller.apiKey, 'POST', '/v1/endpoints', {
        name: `Slow ${e}`,
        url: `${receiver.base}/delay/${delayMs}`,
        timeoutMs: ENDPOINT_TIMEOUT_MS,
      });
      endpointIds[e] = endpoint.id;
    });
    await intake(client, order.id, leads, 4);
  } finally {
    await client.close();
    await api.stop();
  }
  await receiver.reset();
  const worker = await lib.startRunner('worker', databaseUrl, capacityEnv(), { root });
  const started = performance.now();
  const poller = new pg.Client({ connectionString: databaseUrl });
  await poller.connect();
  try {
    await lib.waitFor(async () => !(await anyOpen(poller, endpointIds)), 600_000, 100);
  } finally {
    await poller.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const rssMb = worker.peakRssMb();
  await worker.stop(WORKER_STOP_GRACE_MS);
  const expected = leads * endpoints;
  const counts = await deliveryCounts(databaseUrl);
  if (counts.succeeded !== expected) {
    throw new Error(`expected ${expected} succeeded deliveries, found ${counts.succeeded}`);
  }
  const received = await receiver.ask('counts');
  return {
    deliveries: expected,
    seconds,
    perSecond: expected / seconds,
    rssMb,
    peakOpen: received.peakOpen,
    failedAttempts: counts.failed_attempts,
    duplicates: received.classes.delay.duplicates,
  };
}

module.exports = {
  DELIVERED_TIMEOUT_MS,
  INTAKE_CONCURRENCY,
  P7_MIX,
  createSellers,
  capacityLabel,
  keep,
  manySlowEndpoints,
  realReceivers,
  realReceiversSteady,
  sendLead,
  spreadClasses,
  startRunners,
  summary,
  untilDue,
};
