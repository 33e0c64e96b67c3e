// `npm run bench:worker`: the CPU a worker process and PostgreSQL spend per delivery, for A/B
// comparisons while working on the delivery path. P1's throughput on a shared 2-core machine
// moves by ±10% between runs; CPU per delivery (from /proc, Linux only) is steadier, and a
// template database makes each run ~10 s instead of P1's ~60 s (the leads are taken in once).
//
//   node bench/worker-cost.js            3 runs on a template of 20,000 leads for one endpoint
//   LEADS=500 ENDPOINTS=50 node bench/...  P3's fan-out instead (a template per shape)
//   PREFILL=1000000 node bench/...       P5: that many old rows in deliveries, attempts and jobs
//   RUNS=5 REBUILD=1 node bench/...      rebuild the template first (after a migration)
//   WORKER_NODE_OPTIONS="--cpu-prof"     passed to the worker (profiles, V8 flags)
//   WORKER_ENV='{"WORKER_MAX_IN_FLIGHT":"500"}'  more environment for the worker
const { readFileSync, readdirSync } = require('node:fs');
const pg = require('pg');
const lib = require('./lib');
const { cpuSeconds, postgresCpuSeconds } = lib;
const { anyOpen, fillHistory, setUpSeller, intake } = require('./scenarios');

const LEADS = Number(process.env.LEADS || 20000);
const ENDPOINTS = Number(process.env.ENDPOINTS || 1);
const PREFILL = Number(process.env.PREFILL || 0);
const TEMPLATE = `ld_bench_worker_${LEADS}x${ENDPOINTS}${PREFILL ? `_${PREFILL}` : ''}`;
const RUN_DB = lib.ownDatabaseName('ld_bench_worker_run');

/** CPU by thread name: V8's garbage collector helpers show up as V8Worker. */
function threadCpu(pid) {
  const byName = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    byName[name] = (byName[name] ?? 0) + cpuSeconds(`/proc/${pid}/task/${tid}/stat`);
  }
  return byName;
}

const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const db = new pg.Client({ connectionString: SERVER_URL });
  await db.connect();
  try {
    return await db.query(sql);
  } finally {
    await db.end();
  }
}

async function buildTemplate(receiver) {
  const url = await lib.createDatabase(TEMPLATE);
  const api = await lib.startRunner('api', url);
  try {
    const client = lib.api(api.baseUrl);
    const { order, seller, endpoints } = await setUpSeller(client, ENDPOINTS, receiver.url);
    if (PREFILL > 0) {
      await fillHistory(url, endpoints[0].id, seller.id, PREFILL, { deliveries: true, jobs: true });
    }
    await intake(client, order.id, LEADS);
    await client.close();
  } finally {
    await api.stop();
  }
  // The worker's own statistics round would analyze these tables at start; a copy of a template
  // starts with its counters at zero, so the template carries the statistics instead.
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query('ANALYZE');
  await db.end();
}

async function main() {
  const receiver = await lib.startReceiver();
  try {
    const { rowCount } = await admin(`SELECT 1 FROM pg_database WHERE datname = '${TEMPLATE}'`);
    if (rowCount === 0 || process.env.REBUILD) await buildTemplate(receiver);
    const runs = Number(process.env.RUNS || 3);
    const extraEnv = {
      ...(process.env.WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS } : {}),
      ...JSON.parse(process.env.WORKER_ENV || '{}'),
    };
    console.log(
      'run  deliveries/s  worker µs/delivery (GC threads)  PostgreSQL µs/delivery  peak RSS MB',
    );
    for (let run = 1; run <= runs; run++) {
      await admin(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
      // FILE_COPY: the copy is checkpointed, not written through the WAL (a prefilled template is
      // over a gigabyte, whose checkpoint would otherwise run during the measurement).
      await admin(`CREATE DATABASE ${RUN_DB} TEMPLATE ${TEMPLATE} STRATEGY FILE_COPY`);
      const url = new URL(SERVER_URL);
      url.pathname = `/${RUN_DB}`;
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      await db.query('UPDATE endpoints SET url = $1', [receiver.url]);
      const endpointIds = (await db.query('SELECT id FROM endpoints')).rows.map((row) => row.id);
      const pending = Number(
        (await db.query(`SELECT count(*) FROM deliveries WHERE status = 'pending'`)).rows[0].count,
      );
      await receiver.reset();
      const worker = await lib.startRunner('worker', url.toString(), extraEnv);
      const pid = worker.child.pid;
      const workerBefore = cpuSeconds(`/proc/${pid}/stat`);
      const threadsBefore = threadCpu(pid);
      const postgresBefore = postgresCpuSeconds();
      const started = performance.now();
      await lib.waitFor(async () => !(await anyOpen(db, endpointIds)), 600_000, 50);
      const seconds = (performance.now() - started) / 1000;
      const workerCpu = cpuSeconds(`/proc/${pid}/stat`) - workerBefore;
      const gcCpu = (threadCpu(pid).V8Worker ?? 0) - (threadsBefore.V8Worker ?? 0);
      const postgresCpu = postgresCpuSeconds() - postgresBefore;
      const rss = worker.peakRssMb();
      await worker.stop();
      await db.end();
      const perDelivery = (cpu) => ((cpu * 1e6) / pending).toFixed(0);
      console.log(
        `${String(run).padEnd(4)} ${(pending / seconds).toFixed(0).padStart(13)}  ${perDelivery(workerCpu).padStart(18)} (${perDelivery(gcCpu)})${' '.repeat(10)}  ${perDelivery(postgresCpu).padStart(22)}  ${rss.toFixed(0).padStart(11)}`,
      );
    }
    await admin(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
  } finally {
    await receiver.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
