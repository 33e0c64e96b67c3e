/** A worker's fetch loop (worker/fetchLoop.ts) over a scripted job source. */
import { FetchLoop, type FetchedJob, type JobSource } from '../src/worker/fetchLoop.js';
import { eventually } from './helpers/runner.js';

interface TestJob extends FetchedJob {
  n: number;
}

const job = (n: number, heartbeatSeconds: number | null = null): TestJob => ({
  id: `job-${n}`,
  n,
  heartbeatSeconds,
});

/** Hands out the scripted fetch results in order (then nothing) and records every call. */
function scriptedSource(fetches: Array<TestJob[] | Error>) {
  const calls = {
    fetched: 0,
    completed: [] as number[][],
    failed: [] as Array<{ jobs: number[]; error: unknown }>,
    touched: 0,
  };
  const source: JobSource<TestJob> = {
    async fetchJobs() {
      const next = fetches[calls.fetched++] ?? [];
      if (next instanceof Error) throw next;
      return next;
    },
    async completeJobs(jobs) {
      calls.completed.push(jobs.map((j) => j.n));
    },
    async failJobs(jobs, error) {
      calls.failed.push({ jobs: jobs.map((j) => j.n), error });
    },
    async touchJobs() {
      calls.touched++;
    },
  };
  return { source, calls };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const HOUR = 3_600_000;
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

function startLoop(
  source: JobSource<TestJob>,
  options: Partial<ConstructorParameters<typeof FetchLoop<TestJob>>[0]> = {},
) {
  const errors: Array<{ error: unknown; during: string }> = [];
  const handled: number[][] = [];
  const loop = new FetchLoop<TestJob>({
    source,
    handle: async (jobs) => {
      handled.push(jobs.map((j) => j.n));
    },
    batchSize: 2,
    pollIntervalMs: HOUR,
    onError: (error, during) => errors.push({ error, during }),
    ...options,
  });
  loop.start();
  return { loop, errors, handled };
}

test('a full batch is followed by another fetch at once; after a short one the loop sleeps until woken', async () => {
  const { source, calls } = scriptedSource([[job(1), job(2)], [job(3)], [job(4)]]);
  const { loop, handled } = startLoop(source);
  try {
    await eventually(async () => (handled.length === 2 ? true : undefined));
    await settle();
    expect(calls.fetched).toBe(2);
    expect(calls.completed).toEqual([[1, 2], [3]]);

    loop.wake();
    await eventually(async () => (handled.length === 3 ? true : undefined));
    expect(handled).toEqual([[1, 2], [3], [4]]);
  } finally {
    await loop.stop();
  }
});

test('a wake-up that comes while a batch runs makes the loop fetch again right after it', async () => {
  const { source, calls } = scriptedSource([[job(1)], [job(2)]]);
  const release = deferred();
  const { loop, handled } = startLoop(source, {
    handle: async (jobs) => {
      handled.push(jobs.map((j) => j.n));
      if (jobs[0].n === 1) await release.promise;
    },
  });
  try {
    await eventually(async () => (handled.length === 1 ? true : undefined));
    loop.wake();
    release.resolve();
    await eventually(async () => (handled.length === 2 ? true : undefined));
    expect(calls.completed).toEqual([[1], [2]]);
  } finally {
    await loop.stop();
  }
});

test('a batch that throws is failed with its error, and the loop goes on', async () => {
  const boom = new Error('database went away');
  const { source, calls } = scriptedSource([[job(1), job(2)], [job(3)]]);
  const { loop } = startLoop(source, {
    handle: async (jobs) => {
      if (jobs[0].n === 1) throw boom;
    },
  });
  try {
    await eventually(async () => (calls.completed.length === 1 ? true : undefined));
    expect(calls.failed).toEqual([{ jobs: [1, 2], error: boom }]);
    expect(calls.completed).toEqual([[3]]);
  } finally {
    await loop.stop();
  }
});

test('a batch its handler settled itself is not completed again', async () => {
  const { source, calls } = scriptedSource([[job(1), job(2)], [job(3)]]);
  const { loop, handled } = startLoop(source, {
    handle: async (jobs) => {
      handled.push(jobs.map((j) => j.n));
      return jobs[0].n === 1 ? 'settled' : undefined;
    },
  });
  try {
    await eventually(async () => (calls.completed.length === 1 ? true : undefined));
    expect(handled).toEqual([[1, 2], [3]]);
    expect(calls.completed).toEqual([[3]]);
    expect(calls.failed).toEqual([]);
  } finally {
    await loop.stop();
  }
});

test('a batch that outlasts half its heartbeat refreshes its jobs until it ends', async () => {
  const { source, calls } = scriptedSource([[job(1, 0.1)]]);
  const release = deferred();
  const { loop } = startLoop(source, { handle: () => release.promise });
  try {
    await eventually(async () => (calls.touched >= 2 ? true : undefined));
    release.resolve();
    await eventually(async () => (calls.completed.length === 1 ? true : undefined));
    const touched = calls.touched;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls.touched).toBe(touched);
  } finally {
    await loop.stop();
  }
});

test('a batch of jobs without a heartbeat is never touched', async () => {
  const { source, calls } = scriptedSource([[job(1)]]);
  const { loop } = startLoop(source, {
    handle: () => new Promise((resolve) => setTimeout(resolve, 150)),
  });
  try {
    await eventually(async () => (calls.completed.length === 1 ? true : undefined));
    expect(calls.touched).toBe(0);
  } finally {
    await loop.stop();
  }
});

test('a failed fetch is reported and tried again after the poll interval, not at every wake-up', async () => {
  const { source, calls } = scriptedSource([new Error('connection refused'), [job(1)]]);
  const { loop, errors, handled } = startLoop(source, { pollIntervalMs: 300 });
  try {
    await eventually(async () => (errors.length === 1 ? true : undefined));
    expect(errors[0].during).toBe('fetch');
    loop.wake();
    loop.wake();
    await settle();
    expect(calls.fetched).toBe(1);
    await eventually(async () => (handled.length === 1 ? true : undefined));
    expect(calls.fetched).toBe(2);
  } finally {
    await loop.stop();
  }
});

test('a settle that fails is reported and the loop goes on', async () => {
  const { source, calls } = scriptedSource([[job(1), job(2)], [job(3)]]);
  const completeJobs = source.completeJobs;
  source.completeJobs = async (jobs) => {
    if (jobs[0].n === 1) throw new Error('lost the connection');
    await completeJobs(jobs);
  };
  const { loop, errors } = startLoop(source);
  try {
    await eventually(async () => (calls.completed.length === 1 ? true : undefined));
    expect(calls.completed).toEqual([[3]]);
    expect(errors.map((e) => e.during)).toEqual(['complete']);
  } finally {
    await loop.stop();
  }
});

test('stop waits for the batch in hand to be handled and settled, then fetches no more', async () => {
  const { source, calls } = scriptedSource([
    [job(1), job(2)],
    [job(3), job(4)],
  ]);
  const release = deferred();
  const { loop, handled } = startLoop(source, {
    handle: async (jobs) => {
      handled.push(jobs.map((j) => j.n));
      await release.promise;
    },
  });
  await eventually(async () => (handled.length === 1 ? true : undefined));
  let stopped = false;
  const stopping = loop.stop().then(() => (stopped = true));
  await settle();
  expect(stopped).toBe(false);
  release.resolve();
  await stopping;
  expect(calls.completed).toEqual([[1, 2]]);
  expect(calls.fetched).toBe(1);
});

test('stop ends an idle loop at once, without waiting out its poll', async () => {
  const { source, calls } = scriptedSource([]);
  const { loop } = startLoop(source);
  await eventually(async () => (calls.fetched === 1 ? true : undefined));
  await loop.stop();
  expect(calls.fetched).toBe(1);
});
