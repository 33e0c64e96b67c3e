/** A worker's fetch loop (worker/fetcher.ts) over a scripted job source: room, wake-ups, errors. */
import { Fetcher, type FetcherOptions } from '../../src/worker/fetcher.js';
import { eventually } from '../helpers/runner.js';

const HOUR = 3_600_000;
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A loop over scripted fetch results (then nothing), recording what it asked for and handled. */
function startFetcher(
  fetches: Array<number[] | Error>,
  options: Partial<FetcherOptions<number>> = {},
) {
  const asked: number[] = [];
  const handled: number[][] = [];
  const errors: Array<{ error: unknown; during: string }> = [];
  let calls = 0;
  const fetcher = new Fetcher<number>({
    fetch: async (batchSize) => {
      asked.push(batchSize);
      const next = fetches[calls++] ?? [];
      if (next instanceof Error) throw next;
      return next;
    },
    handle: async (jobs) => {
      handled.push(jobs);
    },
    room: () => 100,
    batchSize: 3,
    pollIntervalMs: HOUR,
    onError: (error, during) => errors.push({ error, during }),
    ...options,
  });
  fetcher.start();
  return { fetcher, asked, handled, errors, calls: () => calls };
}

test('a full batch is followed by another fetch at once; a short one by sleep until woken', async () => {
  const { fetcher, asked, handled } = startFetcher([[1, 2, 3], [4], [5]]);
  await eventually(async () => (handled.length === 2 ? true : undefined));
  await settle();
  expect(handled).toEqual([[1, 2, 3], [4]]);
  fetcher.wake();
  await eventually(async () => (handled.length === 3 ? true : undefined));
  expect(handled[2]).toEqual([5]);
  expect(asked).toEqual([3, 3, 3]);
  await fetcher.stop();
});

test('fetches no more than the room the worker has, and waits for room to free', async () => {
  let room = 2;
  const { fetcher, asked, handled } = startFetcher([[1], [3, 4, 5]], { room: () => room });
  try {
    await eventually(async () => (handled.length === 1 ? true : undefined));
    room = 0;
    fetcher.wake();
    await settle();
    // No room: no fetch, whatever wakes it.
    expect(asked).toEqual([2]);
    room = 5;
    fetcher.roomChanged();
    await eventually(async () => (handled.length === 2 ? true : undefined));
    // (A full batch is followed by one more fetch, which finds nothing.)
    expect(asked.slice(0, 2)).toEqual([2, 3]);
  } finally {
    await fetcher.stop();
  }
});

test('a wake-up during a fetch makes it fetch again right after, not sleep', async () => {
  const first = deferred();
  let fetchCount = 0;
  const handled: number[][] = [];
  const fetcher = new Fetcher<number>({
    fetch: async () => {
      fetchCount++;
      if (fetchCount === 1) {
        await first.promise;
        return [1];
      }
      return fetchCount === 2 ? [2] : [];
    },
    handle: async (jobs) => {
      handled.push(jobs);
    },
    room: () => 100,
    batchSize: 10,
    pollIntervalMs: HOUR,
    onError: () => {},
  });
  fetcher.start();
  await settle();
  fetcher.wake();
  first.resolve();
  await eventually(async () => (handled.length === 2 ? true : undefined));
  expect(handled).toEqual([[1], [2]]);
  await fetcher.stop();
});

test('a failed fetch is reported and waits out the poll, even when woken', async () => {
  const { fetcher, errors, calls } = startFetcher([new Error('db down')], {
    pollIntervalMs: 200,
  });
  await eventually(async () => (errors.length === 1 ? true : undefined));
  fetcher.wake();
  await settle();
  expect(calls()).toBe(1);
  expect(errors[0]).toMatchObject({ during: 'fetch' });
  await eventually(async () => (calls() >= 2 ? true : undefined));
  await fetcher.stop();
});

test('a failed hand-over is reported and the loop carries on', async () => {
  const handled: number[][] = [];
  const { fetcher, errors } = startFetcher([[1, 2, 3], [4]], {
    handle: async (jobs) => {
      if (jobs[0] === 1) throw new Error('claim failed');
      handled.push(jobs);
    },
  });
  await eventually(async () => (handled.length === 1 ? true : undefined));
  expect(errors).toEqual([{ error: new Error('claim failed'), during: 'handle' }]);
  expect(handled).toEqual([[4]]);
  await fetcher.stop();
});

test('stop resolves once the batch being handed over is handed over', async () => {
  const handing = deferred();
  const events: string[] = [];
  const { fetcher } = startFetcher([[1]], {
    handle: async () => {
      events.push('handling');
      await handing.promise;
      events.push('handed over');
    },
  });
  await eventually(async () => (events.length === 1 ? true : undefined));
  const stopped = fetcher.stop().then(() => events.push('stopped'));
  await settle();
  handing.resolve();
  await stopped;
  expect(events).toEqual(['handling', 'handed over', 'stopped']);
});
