/** Which fetch loop a new job wakes (worker/loopWaker.ts). */
import { LoopWaker } from '../src/worker/loopWaker.js';

function waker(loops = 4, limits: { activeLimit?: number; stalledAfterMs?: number } = {}) {
  let now = 1_000;
  const woken: string[] = [];
  const subject = new LoopWaker<string>({
    notify: (id) => woken.push(id),
    fetchingMs: 50,
    now: () => now,
    ...limits,
  });
  for (let i = 1; i <= loops; i++) subject.add(`L${i}`);
  return {
    subject,
    woken,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('one new job wakes one idle loop, not every loop', () => {
  const { subject, woken } = waker();
  subject.wake();
  expect(woken).toEqual(['L1']);
});

test('a job arriving while the woken loop is still fetching wakes another idle loop', () => {
  const { subject, woken, advance } = waker();
  subject.wake();
  advance(10);
  subject.wake();
  advance(10);
  subject.wake();
  expect(woken).toEqual(['L1', 'L2', 'L3']);
  // Past the fetching window the first loop is idle again and comes first.
  advance(100);
  subject.wake();
  expect(woken).toEqual(['L1', 'L2', 'L3', 'L1']);
});

test('busy loops are skipped; when all are busy, one of them in turn fetches again after its batch', () => {
  const { subject, woken } = waker(3);
  subject.started('L1');
  subject.started('L2');
  subject.wake();
  expect(woken).toEqual(['L3']);
  subject.started('L3');
  subject.wake();
  subject.wake();
  subject.wake();
  expect(woken).toEqual(['L3', 'L1', 'L2', 'L3']);
  subject.finished('L2');
  subject.wake();
  expect(woken.at(-1)).toBe('L2');
});

test('when every idle loop was just woken, the one woken longest ago is woken again', () => {
  const { subject, woken, advance } = waker(2);
  subject.wake();
  advance(5);
  subject.wake();
  advance(5);
  subject.wake();
  expect(woken).toEqual(['L1', 'L2', 'L1']);
});

test('wake(n) wakes n loops at most once each round, and wakeAll every loop', () => {
  const { subject, woken } = waker(3);
  subject.wake(2);
  expect(woken).toEqual(['L1', 'L2']);
  subject.wake(10);
  expect(woken).toEqual(['L1', 'L2', 'L3', 'L1', 'L2']);
  woken.length = 0;
  subject.started('L2');
  subject.wakeAll();
  expect(woken).toEqual(['L1', 'L2', 'L3']);
});

test('a loop that was never added is ignored', () => {
  const { subject, woken } = waker(1);
  subject.started('unknown');
  subject.finished('unknown');
  subject.wake();
  expect(woken).toEqual(['L1']);
});

test('with an active limit of one, new jobs go to the loop running a young batch, not to an idle loop', () => {
  const { subject, woken, advance } = waker(3, { activeLimit: 1, stalledAfterMs: 100 });
  subject.wake();
  expect(woken).toEqual(['L1']);
  subject.started('L1');
  advance(20);
  subject.wake();
  subject.wake();
  // L1 fetches again right after its batch: the jobs join its next one.
  expect(woken).toEqual(['L1', 'L1', 'L1']);
  // No batch running: an idle loop as before (L1 again, idle and not just woken).
  subject.finished('L1');
  subject.started('L3');
  advance(200);
  subject.wake();
  expect(woken.at(-1)).toBe('L1');
});

test('a batch running past stalledAfterMs no longer holds new jobs back: an idle loop is woken', () => {
  const { subject, woken, advance } = waker(3, { activeLimit: 1, stalledAfterMs: 100 });
  subject.started('L1');
  advance(150);
  subject.wake();
  expect(woken).toEqual(['L2']);
  subject.started('L2');
  advance(20);
  // L2's batch is young: it takes the next job; L1's stalled one does not count.
  subject.wake();
  expect(woken).toEqual(['L2', 'L2']);
});

test('a full batch wakes an idle loop for the backlog whatever the active limit; so do several batches at once', () => {
  const { subject, woken } = waker(3, { activeLimit: 1 });
  subject.started('L1');
  subject.wakeForBacklog();
  expect(woken).toEqual(['L2']);
  woken.length = 0;
  subject.wake(3);
  expect(woken).toEqual(['L3', 'L2', 'L1']);
});
