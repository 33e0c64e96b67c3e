// `npm run bench:latency`: where a lead's time goes on P2's path (API → queue → worker → receiver),
// from the database's own timestamps, for work on P2. Separate API and worker processes, as in P2.
//
//   RATE=200 SECONDS=15 node bench/latency-phases.js
//   WORKER_ENV='{"WORKER_CONCURRENCY":"2"}'   more environment for the worker
//   DUMP=/tmp/leads.json                       every lead's phases and times, to find stalls
//
// Phases per lead (all wall clock on this machine; PostgreSQL's now() is its transaction's start):
//   job wait        the job's insert transaction began → pg-boss's fetch transaction began
//   fetch → send    the fetch began → the attempt started (fetch, claim, engine)
//   send → arrival  the attempt started → the receiver had the request
//   P2              the API's answer arrived → the receiver had the request (what P2 reports)
// and the CPU per lead of the API, the worker and PostgreSQL (Linux /proc) over the run.
//
// The worker deletes a job once its attempt is recorded; for the job's fetch time, a trigger of
// this tool's own (one insert per delete statement, on the benchmark's database only) keeps each
// deleted job's timestamps in bench_finished_jobs.
const pg = require('pg');
const lib = require('./lib');
const { setUpSeller } = require('./scenarios');

const RATE = Number(process.env.RATE || 200);
const SECONDS = Number(process.env.SECONDS || 15);
const DATABASE = lib.ownDatabaseName('ld_bench_latency');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function keepFinishedJobs(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`
    CREATE TABLE bench_finished_jobs (delivery_id text, created_on timestamptz, started_on timestamptz);
    CREATE FUNCTION bench_keep_finished_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO bench_finished_jobs
          SELECT data->>'deliveryId', created_on, started_on FROM gone;
        RETURN NULL;
      END $$;
    CREATE TRIGGER bench_keep_finished_jobs AFTER DELETE ON pgboss.job_common
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION bench_keep_finished_jobs();`);
  await db.end();
}

async function main() {
  const receiver = await lib.startReceiver();
  const url = await lib.createDatabase(DATABASE);
  const api = await lib.startRunner('api', url);
  const worker = await lib.startRunner('worker', url, JSON.parse(process.env.WORKER_ENV || '{}'));
  const answeredAt = new Map();
  try {
    await keepFinishedJobs(url);
    const client = lib.api(api.baseUrl);
    const { order } = await setUpSeller(client, 1, receiver.url);
    await receiver.reset();
    const cpu = () => ({
      api: lib.cpuSeconds(`/proc/${api.child.pid}/stat`),
      worker: lib.cpuSeconds(`/proc/${worker.child.pid}/stat`),
      postgres: lib.postgresCpuSeconds(),
      generator: lib.cpuSeconds(`/proc/${process.pid}/stat`),
      receiver: lib.cpuSeconds(`/proc/${receiver.pid}/stat`),
    });
    const cpuBefore = cpu();
    const total = RATE * SECONDS;
    const started = performance.now();
    const inFlight = [];
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 1) await lib.sleep(wait);
      const lead = { firstName: 'Jane', lastName: `Doe${i}`, email: `jane${i}@example.com` };
      inFlight.push(
        client.provider('/v1/leads', { leadOrderId: order.id, lead }).then((answer) => {
          answeredAt.set(answer.deliveries[0].id, lib.wallMs());
        }),
      );
    }
    await Promise.all(inFlight);
    await lib.waitFor(async () => (await receiver.count()) >= total, 120_000);
    const cpuAfter = cpu();
    const arrivals = await receiver.arrivals();
    await client.close();

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const { rows } = await db.query(
      `SELECT d.id, extract(epoch FROM a.started_at) * 1000 AS attempt_started,
          extract(epoch FROM j.created_on) * 1000 AS job_created,
          extract(epoch FROM j.started_on) * 1000 AS job_fetched
        FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
        JOIN bench_finished_jobs j ON j.delivery_id = d.id`,
    );
    await db.end();
    const leads = rows
      .filter((row) => answeredAt.has(row.id) && arrivals[row.id])
      .map((row) => ({
        'job wait': row.job_fetched - row.job_created,
        'fetch → send': row.attempt_started - row.job_fetched,
        'send → arrival': arrivals[row.id] - row.attempt_started,
        P2: arrivals[row.id] - answeredAt.get(row.id),
        ...(process.env.DUMP ? { at: row.job_created } : {}),
      }));
    if (process.env.DUMP) require('node:fs').writeFileSync(process.env.DUMP, JSON.stringify(leads));
    leads.sort((a, b) => a.P2 - b.P2);
    const at = (p) => leads[Math.min(leads.length - 1, Math.floor((p / 100) * leads.length))];
    const phases = Object.keys(leads[0]).filter((name) => name !== 'at');
    const row = (label, lead) =>
      `${label.padEnd(16)}${phases.map((name) => lead[name].toFixed(1).padStart(16)).join('')}`;
    console.log(`${RATE} leads/s for ${SECONDS} s: ${leads.length} leads, ms`);
    console.log(`${''.padEnd(16)}${phases.map((name) => name.padStart(16)).join('')}`);
    const medians = Object.fromEntries(
      phases.map((name) => [name, median(leads.map((lead) => lead[name]))]),
    );
    console.log(row('median (each)', medians));
    for (const p of [50, 95, 99]) console.log(row(`lead at P2 p${p}`, at(p)));
    console.log(row('slowest lead', leads[leads.length - 1]));
    const perLead = (name) => (((cpuAfter[name] - cpuBefore[name]) * 1000) / total).toFixed(2);
    console.log(
      `CPU per lead: API ${perLead('api')} ms, worker ${perLead('worker')} ms, PostgreSQL ${perLead('postgres')} ms, ` +
        `load generator ${perLead('generator')} ms, receiver ${perLead('receiver')} ms`,
    );
  } finally {
    await api.stop();
    await worker.stop();
    await lib.dropDatabase(DATABASE);
    await receiver.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
