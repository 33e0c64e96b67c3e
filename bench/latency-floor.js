// `npm run bench:floor`: P7's burst (2,000 leads over P7's sellers, 32 POSTs at a time, an API and
// a worker running) with a floor beside the worker: bench/floorListener.js hears each delivery
// row's commit and posts it to the receiver at once. Same run, same load, so it separates what
// the machine costs any design (a notification, wake-ups of busy processes, one HTTP request on
// two shared cores) from what the worker adds (fetch, claim, template, send).
//
//   RUNS=3 LEADS=2000 node bench/latency-floor.js
//   BENCH_API_NICE=10       the API at a lower CPU priority than the worker (bench/receivers.js)
//   MIX='{"immediate":50}'  other sellers than P7's
//   BUCKET_MS=100           finer buckets of the burst (default 500)
//   SLOWEST=8               the slowest immediate deliveries, each with its lead's index, its
//                           accept time in the burst and its phases
//
// For the immediate receivers' deliveries it prints accept → arrival for the worker and for the
// floor, the worker's phases (from the database's own timestamps, kept by this tool's triggers on
// the benchmark's database only), the same per half second of the burst, and the CPU each process
// used over the run, with the time each process's main thread ran and waited for a CPU
// (/proc/<pid>/schedstat). A phase can be negative: the job's fetch may come before the load generator
// has read the API's answer.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');
const pg = require('pg');
const lib = require('./lib');
const {
  INTAKE_CONCURRENCY,
  P7_MIX,
  createSellers,
  sendLead,
  spreadClasses,
  startRunners,
  summary,
} = require('./receivers');

const LEADS = Number(process.env.LEADS || 2000);
const RUNS = Number(process.env.RUNS || 3);
const ROOT = path.join(__dirname, '..');
const DATABASE = lib.ownDatabaseName('ld_bench_floor');
const BUCKET_MS = Number(process.env.BUCKET_MS || 500);
const SLOWEST = Number(process.env.SLOWEST || 0);
const PHASES = ['accept → fetch', 'fetch → claim', 'claim → send', 'send → arrival'];

/** Each process's main thread: ns it ran and ns it waited runnable for a CPU (schedstat). */
function mainThreadTimes(pids) {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
      return [name, { ran, waited }];
    }),
  );
}
/** MIX='{"immediate":50}' changes P7's sellers (a diagnosis: what each class costs the worker). */
const MIX = process.env.MIX ? JSON.parse(process.env.MIX) : P7_MIX;

/** The floor's notifications, and each job's and claim's time, on the benchmark database only. */
async function addProbes(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`
    CREATE FUNCTION bench_floor_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('bench_floor', NEW.id); RETURN NULL; END $$;
    CREATE TRIGGER bench_floor_notify AFTER INSERT ON deliveries
      FOR EACH ROW EXECUTE FUNCTION bench_floor_notify();

    CREATE TABLE bench_jobs (delivery_id text, created_on timestamptz, started_on timestamptz);
    CREATE FUNCTION bench_keep_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO bench_jobs SELECT data->>'deliveryId', created_on, started_on FROM gone;
        RETURN NULL;
      END $$;
    CREATE TRIGGER bench_keep_jobs AFTER DELETE ON pgboss.job_common
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION bench_keep_jobs();

    CREATE TABLE bench_claims (delivery_id text, claimed timestamptz);
    CREATE FUNCTION bench_keep_claims() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO bench_claims SELECT id, clock_timestamp() FROM fresh WHERE status = 'sending';
        RETURN NULL;
      END $$;
    CREATE TRIGGER bench_keep_claims AFTER UPDATE ON deliveries
      REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION bench_keep_claims();`);
  await db.end();
}

async function startFloor(url, target) {
  const child = fork(path.join(__dirname, 'floorListener.js'), [url, target], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  return {
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ type: 'stop' });
      }),
  };
}

async function phasesOf(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query(`
      SELECT j.delivery_id AS id, extract(epoch FROM j.started_on) * 1000 AS fetched,
             extract(epoch FROM c.claimed) * 1000 AS claimed,
             extract(epoch FROM a.started_at) * 1000 AS sent
        FROM bench_jobs j
        JOIN LATERAL (SELECT min(claimed) AS claimed FROM bench_claims
                       WHERE delivery_id = j.delivery_id) c ON true
        JOIN LATERAL (SELECT min(started_at) AS started_at FROM attempts
                       WHERE delivery_id = j.delivery_id) a ON true`);
    return new Map(rows.map((row) => [row.id, row]));
  } finally {
    await db.end();
  }
}

const ms = (value) => value.toFixed(1).padStart(7);
const line = (label, s) =>
  `  ${label.padEnd(30)}${ms(s.p50)} /${ms(s.p99)} ms (max ${s.max.toFixed(1)}, ${s.count})`;

async function run(receiver) {
  const url = await lib.createDatabase(DATABASE);
  const runners = await startRunners(ROOT, url);
  let floor;
  try {
    const sellers = await createSellers(runners.client, receiver.base, spreadClasses(MIX));
    await addProbes(url);
    floor = await startFloor(url, `${receiver.base}/floor`);
    await receiver.reset();
    const pids = {
      API: runners.api.child.pid,
      worker: runners.worker.child.pid,
      floor: floor.pid,
      receiver: receiver.pid,
      'load generator': process.pid,
    };
    const cpu = () => ({
      ...Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, lib.cpuSeconds(`/proc/${pid}/stat`)]),
      ),
      PostgreSQL: lib.postgresCpuSeconds(),
    });
    const accepted = new Map();
    const waitsBefore = mainThreadTimes(pids);
    const before = cpu();
    const started = lib.wallMs();
    await lib.pool(LEADS, INTAKE_CONCURRENCY, (i) =>
      sendLead(runners.client, sellers, i, accepted),
    );
    const intakeS = (lib.wallMs() - started) / 1000;
    const immediate = [...accepted].filter(([, entry]) => entry.cls === 'immediate');
    await lib.waitFor(async () => {
      const { classes } = await receiver.ask('counts');
      return classes.now.distinct >= immediate.length && classes.floor.distinct >= accepted.size;
    }, 120_000);
    const elapsedS = (lib.wallMs() - started) / 1000;
    const after = cpu();
    const waitsAfter = mainThreadTimes(pids);
    const arrivals = await receiver.arrivals();
    // The worker's record of the last attempts may trail their arrival by a group commit.
    await lib.waitFor(async () => (await phasesOf(url)).size >= immediate.length, 10_000);
    const phases = await phasesOf(url);

    const rows = [];
    for (const [id, entry] of immediate) {
      const arrival = arrivals[id];
      const phase = phases.get(id);
      if (arrival === undefined || !phase) continue;
      rows.push({
        index: entry.index,
        offset: entry.at - started,
        total: arrival - entry.at,
        floor: arrivals[`floor:${id}`] - entry.at,
        'accept → fetch': phase.fetched - entry.at,
        'fetch → claim': phase.claimed - phase.fetched,
        'claim → send': phase.sent - phase.claimed,
        'send → arrival': arrival - phase.sent,
      });
    }
    const stats = (list, key) => summary(list.map((row) => row[key]));
    const floorAll = summary(
      [...accepted].map(([id, entry]) => arrivals[`floor:${id}`] - entry.at),
    );
    console.log(
      `${LEADS} leads in ${intakeS.toFixed(2)} s (${(LEADS / intakeS).toFixed(0)}/s), accept → arrival, p50 / p99:`,
    );
    console.log(line('worker, immediate receivers', stats(rows, 'total')));
    console.log(line('floor, the same leads', stats(rows, 'floor')));
    console.log(line('floor, every delivery', floorAll));
    for (const phase of PHASES) {
      console.log(line(`  ${phase}`, stats(rows, phase)));
    }
    const slowest = [...rows].sort((a, b) => b.total - a.total).slice(0, SLOWEST);
    if (slowest.length > 0) console.log('  slowest: lead #, accepted at (ms), total (phases)');
    for (const row of slowest) {
      const phases = PHASES.map((phase) => row[phase].toFixed(1)).join(', ');
      console.log(
        `    #${row.index} at ${row.offset.toFixed(0)}: ${row.total.toFixed(1)} (${phases})`,
      );
    }
    const buckets = new Map();
    for (const row of rows) {
      const bucket = Math.floor(row.offset / BUCKET_MS);
      if (!buckets.has(bucket)) buckets.set(bucket, []);
      buckets.get(bucket).push(row);
    }
    console.log('  by accept time (s): worker p50/p99, phases p99 (fetch, claim, send, arrival)');
    for (const [bucket, list] of [...buckets].sort((a, b) => a[0] - b[0])) {
      const total = stats(list, 'total');
      const p99s = PHASES.map((phase) => stats(list, phase).p99.toFixed(0)).join(', ');
      console.log(
        `    ${((bucket * BUCKET_MS) / 1000).toFixed(1).padStart(5)}  ${total.p50.toFixed(0)}/${total.p99.toFixed(0)}  (${p99s})`,
      );
    }
    const share = (name) =>
      `${name} ${(((after[name] - before[name]) / elapsedS) * 100).toFixed(0)}`;
    console.log(
      `  CPU, % of one core over ${elapsedS.toFixed(2)} s: ${Object.keys(after).map(share).join(', ')}`,
    );
    const ranWaited = (name) => {
      const ms = (key) => ((waitsAfter[name][key] - waitsBefore[name][key]) / 1e6).toFixed(0);
      return `${name} ${ms('ran')}/${ms('waited')}`;
    };
    console.log(
      `  main threads, ms ran / waited for a CPU: ${Object.keys(pids).map(ranWaited).join(', ')}`,
    );
  } finally {
    await floor?.stop();
    await runners.stop();
    await lib.dropDatabase(DATABASE);
  }
}

async function main() {
  const receiver = await lib.startReceiver({ script: 'mixedReceiver.js' });
  try {
    for (let i = 0; i < RUNS; i++) await run(receiver);
  } finally {
    await receiver.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
