/** Job heartbeats (worker/jobHeartbeat.ts): every held job is refreshed, in one call per beat. */
import { JobHeartbeat } from '../../src/worker/jobHeartbeat.js';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('held jobs are touched together at half their heartbeat period until released', async () => {
  const touched: string[][] = [];
  const heartbeat = new JobHeartbeat<{ id: string; heartbeatSeconds: number | null }>({
    touch: async (jobs) => {
      touched.push(jobs.map((job) => job.id));
    },
    onError: () => {},
  });
  heartbeat.hold([
    { id: 'a', heartbeatSeconds: 10 },
    { id: 'b', heartbeatSeconds: 10 },
    { id: 'c', heartbeatSeconds: null },
  ]);
  jest.advanceTimersByTime(4999);
  expect(touched).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(touched).toEqual([['a', 'b']]);
  heartbeat.release([{ id: 'a', heartbeatSeconds: 10 }]);
  jest.advanceTimersByTime(5000);
  expect(touched).toEqual([['a', 'b'], ['b']]);
  heartbeat.release([{ id: 'b', heartbeatSeconds: 10 }]);
  jest.advanceTimersByTime(5000);
  expect(touched).toHaveLength(2);
  expect(heartbeat.size).toBe(1);
  heartbeat.stop();
});

test('a failed touch is reported, and the next beat touches again', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const heartbeat = new JobHeartbeat<{ id: string; heartbeatSeconds: number | null }>({
    touch: async () => {
      calls += 1;
      throw new Error('connection lost');
    },
    onError: (error) => errors.push(error),
  });
  heartbeat.hold([{ id: 'a', heartbeatSeconds: 2 }]);
  jest.advanceTimersByTime(2000);
  await Promise.resolve();
  await Promise.resolve();
  expect(calls).toBe(2);
  expect(errors).toHaveLength(2);
  heartbeat.stop();
});
