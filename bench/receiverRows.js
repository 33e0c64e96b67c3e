// P7–P9 for bench/run.js: each scenario against every runner version compared (the baseline
// first, then this checkout, the same scenario right after each other), as rows of its table.
const lib = require('./lib');
const receivers = require('./receivers');
const { noisyNeighbour } = require('./noisyNeighbour');

/** The figures the issue compares with (stock n8n's p99 at 20 leads/s, measured there). */
const STOCK_N8N_P99_MS = 83;
const STEADY_PER_SECOND = 20;
const STEADY_RAMP_SECONDS = 2;
const P8_HANGING_SELLERS = 8;
const P8_HANGING_PER_SECOND = 8;
const P8_PER_SECOND = 4;
const P8_WARM_SECONDS = 3;
const P8_POLL_INTERVAL_MS = 5;
const P9_ENDPOINTS = 1000;
const P9_DELAY_MS = 1000;

/**
 * P7's burst is run lib.RUNS times per version, interleaved, and reported by its median run (by
 * the immediate receivers' p99) with every run's p99: one run's p99 is its fourth-slowest of 320
 * deliveries, and single runs of the same code spread by a factor of three (bench/history.md).
 */
const P7_RUNS = lib.RUNS;

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
/** Milliseconds below a second, seconds above: the old code's figures are seconds. */
const duration = (ms) =>
  !Number.isFinite(ms)
    ? 'n/a'
    : Math.abs(ms) < 1000
      ? `${fmt(ms, 1)} ms`
      : `${fmt(ms / 1000, 2)} s`;
const p50p99 = (stats) => `${duration(stats.p50)} / ${duration(stats.p99)}`;

/** The run whose immediate receivers' p99 is the median, with every run's p99 (`p99s`). */
function medianP7(runs) {
  const p99 = (run) => run.classes.immediate.p99;
  return { ...lib.medianBy(runs, p99), p99s: runs.map(p99) };
}

function p7Rows(label, p7) {
  const runs = p7.p99s.length;
  const what = (text, cls) =>
    `${label}: P7 ${text} (${p7.sellers[cls]} sellers), accept → arrival p50 / p99` +
    `${runs > 1 ? ` (median run of ${runs} by the immediate receivers' p99)` : ''}`;
  const answering = (id, cls, text, target) => {
    const stats = p7.classes[cls];
    const missing = stats.sent - stats.count;
    const each =
      cls === 'immediate' && runs > 1 ? `; runs' p99 ${p7.p99s.map(duration).join(', ')}` : '';
    return {
      id,
      what: `${what(text, cls)}; arrivals/s`,
      value:
        `${p50p99(stats)}; ${fmt(stats.perSecond)} /s (${stats.count} deliveries` +
        `${missing ? `, ${missing} never arrived` : ''}` +
        `${stats.duplicates ? `, ${stats.duplicates} duplicates` : ''}${each})`,
      target,
    };
  };
  const hanging = p7.classes.hanging;
  const duplicates = p7.classes.immediate.duplicates + p7.classes.delayed.duplicates;
  return [
    answering('P7i', 'immediate', 'immediate receivers', 'p99 ≤ 50 ms'),
    answering('P7d', 'delayed', '200 ms receivers', 'p99 ≤ 250 ms'),
    {
      id: 'P7h',
      what: what('hanging receivers (never answer; timeout 10 s), the request', 'hanging'),
      value:
        `${p50p99(hanging)} (${hanging.count} of ${hanging.sent} arrived; ` +
        `${hanging.duplicates} sent again after their timeout)`,
      target: '',
    },
    {
      id: 'P7a',
      what: `${label}: P7 ${p7.leads} leads: last non-hanging arrival after the end of intake; their deliveries/s`,
      value:
        `${duration(p7.deliveredAfterIntakeMs)} (intake ${fmt(p7.intakeSeconds, 1)} s); ` +
        `${fmt(p7.deliveredPerSecond)} /s; ${duplicates} duplicates; peak ${p7.peakOpen} open requests`,
      target: '≤ 0.5 s',
    },
  ];
}

function p7sRows(label, steady) {
  const row = (id, cls, what, target) => ({
    id,
    what: `${label}: P7s steady ${steady.perSecond} leads/s for ${steady.seconds} s, ${what}: p50 / p99`,
    value: `${p50p99(steady.classes[cls])} (${steady.classes[cls].count} deliveries${
      steady.classes[cls].duplicates ? `, ${steady.classes[cls].duplicates} duplicates` : ''
    })`,
    target,
  });
  return [
    row('P7si', 'immediate', 'immediate receivers', `p99 well below ${STOCK_N8N_P99_MS} ms`),
    row('P7sd', 'delayed', '200 ms receivers', ''),
  ];
}

function p8Rows(label, p8) {
  const what = (text) =>
    `${label}: P8 ${text}, ${P8_HANGING_SELLERS} hanging sellers busy: p50 / p99`;
  return [
    {
      id: 'P8n',
      what: what(`other seller's new_lead accept → arrival (${p8.leads} leads)`),
      value: p50p99(p8.newLead),
      target: 'p99 ≤ 100 ms',
    },
    {
      id: 'P8v',
      what: what(
        `its arrival → attempt in GET history (polled every ${fmt(p8.pollCycleMs, 1)} ms)`,
      ),
      value: p50p99(p8.visible),
      target: 'p99 ≤ 100 ms',
    },
    {
      id: 'P8u',
      what: what(`its lead_update, meeting accept → arrival`),
      value:
        `${p50p99(p8.leadUpdate)} (${p8.noisyLeads} leads to the hanging sellers` +
        `${p8.duplicates ? `, ${p8.duplicates} duplicates` : ''})`,
      target: 'p99 ≤ 100 ms',
    },
  ];
}

function p9Rows(label, p9) {
  return [
    {
      id: 'P9',
      what: `${label}: P9 ${p9.deliveries} deliveries to ${P9_ENDPOINTS} endpoints answering after ${P9_DELAY_MS / 1000} s: deliveries/s (${receivers.capacityLabel()})`,
      value:
        `${fmt(p9.perSecond)} /s (${fmt(p9.seconds, 1)} s; peak ${p9.peakOpen} open requests` +
        `${p9.failedAttempts ? `; ${p9.failedAttempts} failed attempts` : ''}` +
        `${p9.duplicates ? `; ${p9.duplicates} duplicates` : ''})`,
      target: 'close to the in-flight limit /s',
    },
    {
      id: 'P9m',
      what: `${label}: P9 peak RSS of the worker`,
      value: `${fmt(p9.rssMb)} MB`,
      target: '',
    },
  ];
}

/**
 * Runs the selected receiver scenarios against each of `versions` ({ root, label }); `scaled`
 * and `scaledSeconds` apply BENCH_SCALE.
 */
async function receiverScenarios({ versions, selected, scaled, scaledSeconds, log }) {
  const receiver = await lib.startReceiver({ script: 'mixedReceiver.js' });
  /**
   * Runs a scenario against each version, `runs` times over, the versions taking turns, each run
   * in a fresh database; `summarize` makes one result of a version's runs.
   */
  const each = async (
    database,
    run,
    rows,
    { runs = 1, summarize = (results) => results[0] } = {},
  ) => {
    const results = new Map(versions.map((version) => [version, []]));
    for (let i = 0; i < runs; i++) {
      for (const version of versions) {
        const started = performance.now();
        const result = await lib.withDatabase(database, (databaseUrl) =>
          run({ root: version.root, databaseUrl, receiver }),
        );
        results.get(version).push(result);
        // The scenarios' wall time goes to stderr: the whole benchmark has a budget (README).
        console.error(
          `(${database}, ${version.label}: ${fmt((performance.now() - started) / 1000, 1)} s)`,
        );
      }
    }
    for (const version of versions)
      rows(version.label, summarize(results.get(version))).forEach(log);
  };
  try {
    if (selected('P7')) {
      const leads = scaled(2000);
      await each('ld_bench_p7', (on) => receivers.realReceivers({ ...on, leads }), p7Rows, {
        runs: P7_RUNS,
        summarize: medianP7,
      });
      const seconds = scaledSeconds(20);
      await each(
        'ld_bench_p7s',
        (on) =>
          receivers.realReceiversSteady({
            ...on,
            perSecond: STEADY_PER_SECOND,
            seconds,
            rampSeconds: STEADY_RAMP_SECONDS,
          }),
        p7sRows,
      );
    }
    if (selected('P8')) {
      const seconds = scaledSeconds(20);
      await each(
        'ld_bench_p8',
        (on) =>
          noisyNeighbour({
            ...on,
            hangingSellers: P8_HANGING_SELLERS,
            hangingPerSecond: P8_HANGING_PER_SECOND,
            perSecond: P8_PER_SECOND,
            seconds,
            warmSeconds: P8_WARM_SECONDS,
            pollIntervalMs: P8_POLL_INTERVAL_MS,
          }),
        p8Rows,
      );
    }
    if (selected('P9')) {
      const leads = Math.max(2, scaled(20));
      await each(
        'ld_bench_p9',
        (on) =>
          receivers.manySlowEndpoints({
            ...on,
            endpoints: P9_ENDPOINTS,
            leads,
            delayMs: P9_DELAY_MS,
          }),
        p9Rows,
      );
    }
  } finally {
    await receiver.stop();
  }
}

/** The Method paragraph of docs/benchmarks.md for these scenarios. */
function receiverMethod(versions) {
  const mix = receivers.P7_MIX;
  const sellers = mix.immediate + mix.delayed + mix.hanging;
  return `- P7–P9 (issue 18, slow and hanging receivers): one receiver process whose request path
  picks the answer: at once, after N ms, or never (the socket stays open; endpoints time out after
  10 s). Each seller has its own lead order and endpoint; leads go through \`POST /v1/leads\` to an
  API and a worker of the measured runner, in processes of their own. Latency is the receiver's
  first arrival of a webhook-id minus the time the API answered its POST. The worker's circuit
  breaker is off (CIRCUIT_BREAKER_THRESHOLD=0): otherwise ten timeouts pause a hanging endpoint,
  10 s or more into a run, and the old code's figures would depend on the run's length. Runner
  versions: ${versions.map((v) => v.label).join(', ')} (BENCH_BASELINE=<ref> adds a baseline, run
  right before this checkout in each scenario). The runner's capacity settings:
  ${receivers.capacityLabel()}.
- P7: ${sellers} sellers (${mix.delayed} receivers answering after 200 ms, ${mix.immediate} at once, ${mix.hanging} never), the
  leads to them in turn, 32 POSTs at a time, ${P7_RUNS} times per version (the versions taking turns), each
  run with fresh runner processes and database; the rows are the median run by the immediate
  receivers' p99, and P7i lists every run's p99. Arrivals/s of a class: its deliveries over the time
  from the first POST to its last arrival. P7a: the last arrival of the two answering classes after
  the last POST was answered. P7s: the same sellers at a steady ${STEADY_PER_SECOND} leads/s, the first
  ${STEADY_RAMP_SECONDS} s not counted.
- P8: ${P8_HANGING_SELLERS} sellers with hanging receivers get ${P8_HANGING_PER_SECOND} leads/s in all, from ${P8_WARM_SECONDS} s before the
  measurement until its last figure is in. Another seller (an immediate receiver, endpoint type
  \`both\` mapping requestedMeetingTime) gets ${P8_PER_SECOND} leads/s, each followed, once accepted, by
  \`POST /v1/leads/:id/meeting\` (its lead_update waits until the new_lead is recorded). History
  visibility: from the receiver's arrival to the first page of \`GET /v1/endpoints/:id/history\`
  (that endpoint, polled ${P8_POLL_INTERVAL_MS} ms after each answer) that shows the attempt; the row gives the
  mean time from one poll to the next, the resolution.
- P9: one seller with ${P9_ENDPOINTS} endpoints answering after ${P9_DELAY_MS} ms, so each lead fans out to
  ${P9_ENDPOINTS} deliveries; the API takes every lead first, then one worker starts and the clock runs
  until no delivery is open (as in P1). Peak RSS: the worker's VmHWM. Open requests: the most the
  receiver held at once.`;
}

module.exports = { receiverMethod, receiverScenarios };
