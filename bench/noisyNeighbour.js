// P8, the noisy neighbour (issue 18): sellers whose receivers never answer keep getting leads
// while another seller's new_lead, its history and its lead_update are timed.
const lib = require('./lib');
const { LEAD } = require('./scenarios');
const {
  DELIVERED_TIMEOUT_MS,
  createSellers,
  keep,
  sendLead,
  startRunners,
  summary,
  untilDue,
} = require('./receivers');

const HISTORY_PAGE_SIZE = 20;
/** Clock slack between the runner's startedAt and the benchmark's wall clock (same machine). */
const CLOCK_SLACK_MS = 1000;
const HISTORY_TIMEOUT_MS = 60_000;
/** The measured seller's endpoint: new leads and updates, with the meeting time in its payload. */
const MEASURED_ENDPOINT = {
  type: 'both',
  fieldMappings: ['firstName', 'lastName', 'email', 'phone', 'requestedMeetingTime'].map(
    (field) => ({ field, output: field }),
  ),
};

/** Leads to `sellers` in turn at `perSecond` until stopped: the noisy neighbours of P8. */
function startTrickle(client, sellers, perSecond) {
  let running = true;
  const sends = [];
  const loop = (async () => {
    const started = performance.now();
    for (let i = 0; running; i++) {
      await untilDue(started + (i * 1000) / perSecond);
      if (running) keep(sends, sendLead(client, sellers, 1_000_000 + i, new Map()));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await Promise.all(sends);
      return sends.length;
    },
  };
}

/**
 * Polls one endpoint's history every `intervalMs` and notes when each delivery's first attempt
 * showed up (the time the page arrived). The history is newest first by the attempt's start, and
 * an attempt recorded late sits below newer ones: each poll pages on until it passes the start of
 * the oldest delivery still awaited (`awaitedSinceMs(seen)`), so that a late one is not missed.
 */
function watchHistory(client, { seller, endpoint }, intervalMs, awaitedSinceMs) {
  const seen = new Map();
  let running = true;
  let polls = 0;
  const route = `/v1/endpoints/${endpoint.id}/history?limit=${HISTORY_PAGE_SIZE}`;
  const readPages = async () => {
    const since = awaitedSinceMs(seen) - CLOCK_SLACK_MS;
    let cursor = null;
    for (;;) {
      const suffix = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await client.seller(seller.apiKey, 'GET', `${route}${suffix}`);
      const at = lib.wallMs();
      for (const item of page.items) if (!seen.has(item.deliveryId)) seen.set(item.deliveryId, at);
      const oldest = page.items[page.items.length - 1];
      if (!page.nextCursor || !oldest || Date.parse(oldest.startedAt) < since) return;
      cursor = page.nextCursor;
    }
  };
  const started = performance.now();
  const loop = (async () => {
    while (running) {
      await readPages();
      polls += 1;
      await lib.sleep(intervalMs);
    }
  })();
  loop.catch(() => {}); // its error is thrown by stop()
  return {
    seen,
    /** Stops polling; resolves with the mean time from one poll's page to the next. */
    stop: async () => {
      running = false;
      await loop;
      return (performance.now() - started) / polls;
    },
  };
}

/** P8's measured lead: a new_lead and, as soon as it is accepted, a meeting (a lead_update). */
async function sendMeasuredLead(client, { order }, i) {
  const lead = await client.provider('/v1/leads', { leadOrderId: order.id, lead: LEAD(i) });
  const acceptedAt = lib.wallMs();
  const meeting = new Date(Date.UTC(2030, 0, 1, 9) + i * 60_000).toISOString();
  const update = await client.provider(`/v1/leads/${lead.leadId}/meeting`, {
    requestedMeetingTime: meeting,
  });
  const updateAcceptedAt = lib.wallMs();
  if (update.deliveries.length !== 1) {
    throw new Error(
      `the meeting of lead ${i} made ${update.deliveries.length} lead_updates, not 1`,
    );
  }
  return {
    newId: lead.deliveries[0].id,
    acceptedAt,
    updateId: update.deliveries[0].id,
    updateAcceptedAt,
  };
}

/**
 * P8: `hangingSellers` sellers whose receivers never answer keep getting leads (a trickle of
 * `hangingPerSecond` in all, from `warmSeconds` before the measurement until its last figure is
 * in); another seller, with an immediate `both` endpoint mapping the meeting time, gets
 * `perSecond` leads for `seconds`, each followed by a meeting.
 */
async function noisyNeighbour({
  root,
  databaseUrl,
  receiver,
  hangingSellers,
  hangingPerSecond,
  perSecond,
  seconds,
  warmSeconds,
  pollIntervalMs,
}) {
  const runners = await startRunners(root, databaseUrl);
  const { client } = runners;
  let trickle = null;
  let history = null;
  try {
    const noisy = await createSellers(client, receiver.base, Array(hangingSellers).fill('hanging'));
    const [measured] = await createSellers(client, receiver.base, ['immediate'], MEASURED_ENDPOINT);
    await receiver.reset();
    trickle = startTrickle(client, noisy, hangingPerSecond);
    await lib.sleep(warmSeconds * 1000);
    const leads = [];
    const awaitedSince = (seen) =>
      Math.min(...leads.filter((lead) => !seen.has(lead.newId)).map((lead) => lead.acceptedAt));
    history = watchHistory(client, measured, pollIntervalMs, awaitedSince);
    const started = performance.now();
    const sends = [];
    for (let i = 0; i < perSecond * seconds; i++) {
      await untilDue(started + (i * 1000) / perSecond);
      keep(
        sends,
        sendMeasuredLead(client, measured, i).then((lead) => leads.push(lead)),
      );
    }
    await Promise.all(sends);
    await waitForArrivals(
      receiver,
      leads.flatMap((lead) => [lead.newId, lead.updateId]),
    );
    const { seen } = history;
    await lib.waitFor(() => leads.every((lead) => seen.has(lead.newId)), HISTORY_TIMEOUT_MS, 20);
    const pollCycleMs = await history.stop();
    const arrivals = await receiver.arrivals();
    const noisyLeads = await trickle.stop();
    const counts = await receiver.ask('counts');
    return {
      leads: leads.length,
      noisyLeads,
      pollCycleMs,
      newLead: summary(leads.map((lead) => arrivals[lead.newId] - lead.acceptedAt)),
      visible: summary(leads.map((lead) => seen.get(lead.newId) - arrivals[lead.newId])),
      leadUpdate: summary(leads.map((lead) => arrivals[lead.updateId] - lead.updateAcceptedAt)),
      duplicates: counts.classes.now.duplicates,
    };
  } finally {
    // Stopped at most once each (stop() is idempotent); a failed run must not leave them going.
    await Promise.allSettled([trickle?.stop(), history?.stop()]);
    await runners.stop();
  }
}

async function waitForArrivals(receiver, ids) {
  await lib.waitFor(async () => {
    const arrivals = await receiver.arrivals();
    return ids.every((id) => id in arrivals);
  }, DELIVERED_TIMEOUT_MS);
}

module.exports = { noisyNeighbour };
