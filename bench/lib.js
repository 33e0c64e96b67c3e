// Shared pieces of the benchmark: processes, PostgreSQL databases, the runner's API, statistics.
const { fork, spawn } = require('node:child_process');
const { createWriteStream, readFileSync, readdirSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const pg = require('pg');
const { Agent, request } = require('undici');

const ROOT = path.resolve(__dirname, '..');
const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const PROVIDER_KEY = 'ld_pk_benchmark_provider_key_0123456789';
const SECRETS_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** How the README says to run the runner's processes (`npm start` does the same). */
const RUNNER_NODE_FLAGS = (process.env.BENCH_RUNNER_NODE_FLAGS ?? '--max-semi-space-size=8')
  .split(' ')
  .filter(Boolean);
/** The environment the README gives them (BENCH_MALLOC_ARENA_MAX changes it; empty leaves it out). */
const RUNNER_MALLOC_ARENA_MAX = process.env.BENCH_MALLOC_ARENA_MAX ?? '2';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const wallMs = () => performance.timeOrigin + performance.now();

/**
 * How many times the scenarios reported by their median run (P1, its raw loop, P3, P7) are run:
 * on a shared 2-core VM one run of the same code moves a lot (bench/history.md). BENCH_RUNS
 * changes it.
 */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 3));

/** The run whose `key` is the median (the lower middle one for an even count). */
function medianBy(runs, key) {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

async function createDatabase(name) {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name) {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/**
 * `name` made this run's own: a database is dropped WITH (FORCE) before it is made, so two runs
 * (another checkout's, on the same server) under one name would end each other's.
 */
function ownDatabaseName(name) {
  return `${name}_${process.pid}`;
}

/** Runs `fn(url)` on a fresh database of this run's own (see ownDatabaseName), dropped afterwards. */
async function withDatabase(name, fn) {
  const own = ownDatabaseName(name);
  const url = await createDatabase(own);
  try {
    return await fn(url);
  } finally {
    await dropDatabase(own);
  }
}

/**
 * Starts a receiver process (bench/receiver.js unless `script` names another) and speaks to it over
 * IPC: each question is a message type, answered by a message of the same type.
 */
async function startReceiver({ script = 'receiver.js' } = {}) {
  const child = fork(path.join(__dirname, script), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve) => child.once('message', (m) => resolve(m.port)));
  const ask = (type) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    base: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    ask,
    count: async () => (await ask('count')).count,
    arrivals: async () => (await ask('arrivals')).arrivals,
    reset: () => ask('reset'),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send({ type: 'stop' });
      }),
  };
}

/** utime + stime of a process or thread, in seconds. */
function cpuSeconds(statPath) {
  try {
    const fields = readFileSync(statPath, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU of every PostgreSQL server process on this machine (the benchmark owns the server). */
function postgresCpuSeconds() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) {
        total += cpuSeconds(`/proc/${pid}/stat`);
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Peak resident set size (VmHWM) of a process, in MB, from /proc. */
function peakRssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The API's ready line carries the port it bound (it listens on port 0: see startRunner). */
const LISTENING = /listening on http:\/\/localhost:(\d+)/;

/**
 * Starts `lead-delivery <role>` from the runner root `root` (the folder holding
 * runner/bin/lead-delivery.js; default this checkout) and resolves once it logs that it is ready.
 * The API listens on port 0 and its port is read back from that line: a port picked at random
 * here collided with other servers on a busy machine.
 */
async function startRunner(role, databaseUrl, extraEnv = {}, { root = ROOT } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ld-bench-'));
  const child = spawn(
    process.execPath,
    [...RUNNER_NODE_FLAGS, path.join(root, 'runner/bin/lead-delivery.js'), role],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: '0',
        PROVIDER_API_KEY: PROVIDER_KEY,
        SECRETS_KEY,
        ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        ...(RUNNER_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: RUNNER_MALLOC_ARENA_MAX } : {}),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk) => {
      buffered += chunk.toString();
      // The whole line: a port cut at a chunk's end would read as another port.
      if (/(listening on|running)[^\n]*\n/.test(buffered)) {
        child.stdout.off('data', onData);
        // BENCH_RUNNER_LOG=/tmp/x keeps each runner's stdout (its log, V8's --trace-gc) in /tmp/x.<role>.
        if (process.env.BENCH_RUNNER_LOG) {
          child.stdout.pipe(createWriteStream(`${process.env.BENCH_RUNNER_LOG}.${role}`));
        } else child.stdout.resume();
        resolve(Number(LISTENING.exec(buffered)?.[1] ?? 0));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`lead-delivery ${role} exited with ${code}: ${buffered}`)),
    );
  });
  if (role !== 'worker' && !port) {
    await stopProcess(child, 0);
    throw new Error(`lead-delivery ${role} did not say which port it listens on`);
  }
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    peakRssMb: () => peakRssMb(child.pid),
    stop: (graceMs) => stopProcess(child, graceMs),
  };
}

/**
 * SIGTERM, and SIGKILL once `graceMs` have passed (default: wait as long as it takes). A worker
 * finishes its in-flight deliveries on SIGTERM, which with receivers that never answer means
 * their whole timeout.
 */
function stopProcess(child, graceMs = Infinity) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = Number.isFinite(graceMs) ? setTimeout(() => child.kill('SIGKILL'), graceMs) : null;
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The runner's API through undici's request (not fetch): the load generator shares the two cores
 * with the system it measures, and fetch's WHATWG streams cost it ~0.4 ms of CPU per lead more.
 */
function api(baseUrl) {
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const call = async (key, method, route, body) => {
    const response = await request(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher,
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) {
      throw new Error(`${method} ${route}: ${response.statusCode} ${text}`);
    }
    return JSON.parse(text);
  };
  return {
    provider: (route, body) => call(PROVIDER_KEY, 'POST', route, body),
    seller: call,
    close: () => dispatcher.close(),
  };
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` in flight. */
async function pool(n, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        await task(i);
      }
    }),
  );
}

async function waitFor(check, timeoutMs, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`benchmark condition not met in ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

module.exports = {
  ROOT,
  RUNS,
  RUNNER_MALLOC_ARENA_MAX,
  RUNNER_NODE_FLAGS,
  PROVIDER_KEY,
  api,
  cpuSeconds,
  createDatabase,
  dropDatabase,
  medianBy,
  ownDatabaseName,
  percentile,
  pool,
  postgresCpuSeconds,
  sleep,
  startReceiver,
  startRunner,
  waitFor,
  wallMs,
  withDatabase,
};
