/** Endpoint lanes (worker/lanes.ts): groups, slots, stuck and deep lanes, deferred deliveries. */
import { EndpointLanes, type LaneSettings } from '../../src/worker/lanes.js';

interface Started {
  endpointId: string;
  items: string[];
  done: () => void;
}

function lanes(settings: Partial<LaneSettings> = {}) {
  let clock = 0;
  const started: Started[] = [];
  const woken: Array<{ endpointId: string; ids: string[] }> = [];
  let changes = 0;
  const subject = new EndpointLanes<string>(
    {
      maxGroupSize: 100,
      stuckAfterMs: 1000,
      queueRounds: 2,
      maxRemembered: 3,
      now: () => clock,
      ...settings,
    },
    {
      startGroup: (endpointId, items, done) => started.push({ endpointId, items, done }),
      wakeDeferred: (endpointId, ids) => woken.push({ endpointId, ids }),
      changed: () => changes++,
    },
  );
  return {
    subject,
    started,
    woken,
    changes: () => changes,
    advance: (ms: number) => (clock += ms),
  };
}

test('what arrives together for an endpoint goes out as one group; a lone delivery as a group of one', () => {
  const { subject, started } = lanes();
  subject.add('ep_a', 10, ['a1', 'a2', 'a3']);
  subject.add('ep_b', 10, ['b1']);
  expect(started.map((s) => [s.endpointId, s.items])).toEqual([
    ['ep_a', ['a1', 'a2', 'a3']],
    ['ep_b', ['b1']],
  ]);
  expect(subject.open).toBe(4);
  expect(subject.queued).toBe(0);
});

test('a lane keeps at most its cap open; the rest wait and go out as slots free', () => {
  const { subject, started } = lanes();
  subject.add('ep_a', 2, ['a1', 'a2', 'a3', 'a4', 'a5']);
  expect(started.map((s) => s.items)).toEqual([['a1', 'a2']]);
  expect(subject.queued).toBe(3);
  started[0].done();
  expect(started.map((s) => s.items)).toEqual([
    ['a1', 'a2'],
    ['a3', 'a4'],
  ]);
  started[1].done();
  expect(started[2].items).toEqual(['a5']);
  expect(subject.open).toBe(1);
  // done() twice frees the slots once.
  started[1].done();
  expect(subject.open).toBe(1);
});

test('a group is at most the largest group an execution sends', () => {
  const { subject, started } = lanes({ maxGroupSize: 2 });
  subject.add('ep_a', 10, ['a1', 'a2', 'a3']);
  expect(started.map((s) => s.items)).toEqual([['a1', 'a2'], ['a3']]);
});

test('a full lane whose oldest request has waited stuckAfterMs is stuck; others are not', () => {
  const { subject, started, advance } = lanes();
  subject.add('ep_slow', 2, ['s1', 's2']);
  subject.add('ep_fast', 2, ['f1']);
  advance(999);
  expect(subject.isStuck('ep_slow')).toBe(false);
  advance(1);
  expect(subject.isStuck('ep_slow')).toBe(true);
  // Not full: never stuck, however long its request waits.
  expect(subject.isStuck('ep_fast')).toBe(false);
  expect(subject.isStuck('ep_unknown')).toBe(false);
  advance(4000);
  expect(subject.deferralMs('ep_slow')).toBe(5000);
  expect(subject.deferralMs('ep_unknown')).toBe(1000);
  started[0].done();
  expect(subject.isStuck('ep_slow')).toBe(false);
});

test('deferred deliveries are remembered (up to a bound) and queued when the lane frees up', () => {
  const { subject, started, woken } = lanes();
  subject.add('ep_slow', 2, ['s1', 's2']);
  subject.remember('ep_slow', ['d1', 'd2', 'd3', 'd4']);
  started[0].done();
  // Two free slots: the two oldest remembered ones; the next frees wake the third.
  expect(woken).toEqual([{ endpointId: 'ep_slow', ids: ['d1', 'd2'] }]);
  subject.add('ep_slow', 2, ['d1']);
  started[1].done();
  expect(woken[1]).toEqual({ endpointId: 'ep_slow', ids: ['d3'] });
});

test('a lane takes its slots and queueRounds rounds of them; one not seen yet, the given cap', () => {
  const { subject, started } = lanes();
  expect(subject.room('ep_new', 3)).toBe(9);
  expect(subject.newLaneRoom(3)).toBe(9);
  subject.add('ep_a', 2, ['a1', 'a2', 'a3', 'a4']);
  expect(subject.room('ep_a', 100)).toBe(2);
  subject.add('ep_a', 2, ['a5', 'a6']);
  expect(subject.room('ep_a', 100)).toBe(0);
  started[0].done();
  expect(subject.room('ep_a', 100)).toBe(2);
});

test('rooms() lists every lane with its room, a stuck lane with none', () => {
  const { subject, advance } = lanes();
  subject.add('ep_slow', 2, ['s1', 's2']);
  subject.add('ep_fast', 3, ['f1']);
  expect(subject.rooms()).toEqual(
    new Map([
      ['ep_slow', 4],
      ['ep_fast', 8],
    ]),
  );
  advance(1000);
  // Stuck: its further deliveries are deferred, so none may be claimed for it.
  expect(subject.rooms()).toEqual(
    new Map([
      ['ep_slow', 0],
      ['ep_fast', 8],
    ]),
  );
});

test('idle() resolves once nothing is queued or open, and every change is told', async () => {
  const { subject, started, changes } = lanes();
  subject.add('ep_a', 1, ['a1', 'a2']);
  let idle = false;
  const waiting = subject.idle().then(() => (idle = true));
  started[0].done();
  await Promise.resolve();
  expect(idle).toBe(false);
  started[1].done();
  await waiting;
  expect(idle).toBe(true);
  expect(changes()).toBe(2);
});
