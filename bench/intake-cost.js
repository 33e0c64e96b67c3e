// `npm run bench:intake`: the CPU the API process and PostgreSQL spend per lead taken in, for A/B
// comparisons while working on intake (P1d, and P2, where intake shares the two cores with
// delivery). CPU from /proc (Linux only) is steadier than leads/s on a shared machine.
//
//   node bench/intake-cost.js             3 runs of 3,000 leads to one endpoint, 32 concurrent
//   RUNS=5 LEADS=5000 ENDPOINTS=5 node bench/intake-cost.js
//   API_ENV='{"LOG_LEVEL":"warn"}'         more environment for the API process
const lib = require('./lib');
const { setUpSeller, intake } = require('./scenarios');

const LEADS = Number(process.env.LEADS || 3000);
const ENDPOINTS = Number(process.env.ENDPOINTS || 1);
const DATABASE = lib.ownDatabaseName('ld_bench_intake');

async function main() {
  const receiver = await lib.startReceiver();
  try {
    const runs = Number(process.env.RUNS || 3);
    console.log('run  leads/s  API µs/lead  PostgreSQL µs/lead  load generator µs/lead');
    for (let run = 1; run <= runs; run++) {
      const url = await lib.createDatabase(DATABASE);
      const api = await lib.startRunner('api', url, JSON.parse(process.env.API_ENV || '{}'));
      const client = lib.api(api.baseUrl);
      const { order } = await setUpSeller(client, ENDPOINTS, receiver.url);
      await intake(client, order.id, 300); // warm-up: connections, prepared statements, JIT
      const apiBefore = lib.cpuSeconds(`/proc/${api.child.pid}/stat`);
      const postgresBefore = lib.postgresCpuSeconds();
      const selfBefore = process.cpuUsage();
      const started = performance.now();
      await intake(client, order.id, LEADS);
      const seconds = (performance.now() - started) / 1000;
      const apiCpu = lib.cpuSeconds(`/proc/${api.child.pid}/stat`) - apiBefore;
      const postgresCpu = lib.postgresCpuSeconds() - postgresBefore;
      const self = process.cpuUsage(selfBefore);
      await client.close();
      await api.stop();
      await lib.dropDatabase(DATABASE);
      const perLead = (cpuSeconds) => ((cpuSeconds * 1e6) / LEADS).toFixed(0);
      console.log(
        `${String(run).padEnd(4)} ${(LEADS / seconds).toFixed(0).padStart(7)}  ${perLead(apiCpu).padStart(11)}  ${perLead(postgresCpu).padStart(18)}  ${perLead((self.user + self.system) / 1e6).padStart(22)}`,
      );
    }
  } finally {
    await receiver.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
