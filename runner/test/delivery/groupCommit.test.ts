/** Group commit (worker/groupCommit.ts): idle commits at once, busy ones gather what waits. */
import { GroupCommit } from '../../src/worker/groupCommit.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('an idle committer commits a submission at once; what arrives meanwhile goes together next', async () => {
  const commits: number[][] = [];
  const gates: Array<ReturnType<typeof deferred<void>>> = [];
  const group = new GroupCommit<number, string>(async (items) => {
    commits.push(items);
    const gate = deferred<void>();
    gates.push(gate);
    await gate.promise;
    return items.map((item) => `ok ${item}`);
  }, 100);

  const first = group.submit([1]);
  expect(commits).toEqual([[1]]);
  const second = group.submit([2, 3]);
  const third = group.submit([4]);
  expect(commits).toEqual([[1]]);
  gates[0].resolve();
  expect(await first).toEqual(['ok 1']);
  await new Promise((resolve) => setImmediate(resolve));
  expect(commits).toEqual([[1], [2, 3, 4]]);
  gates[1].resolve();
  expect(await second).toEqual(['ok 2', 'ok 3']);
  expect(await third).toEqual(['ok 4']);
  await group.settled();
});

test('one commit carries at most maxItems, unless one submission alone is larger', async () => {
  const commits: number[][] = [];
  const gate = deferred<void>();
  const group = new GroupCommit<number, number>(async (items) => {
    commits.push(items);
    await gate.promise;
    return items;
  }, 3);
  const submitted = [
    group.submit([0]),
    group.submit([1, 2]),
    group.submit([3, 4]),
    group.submit([5, 6, 7, 8]),
  ];
  gate.resolve();
  await Promise.all(submitted);
  expect(commits).toEqual([[0], [1, 2], [3, 4], [5, 6, 7, 8]]);
});

test('a commit that fails rejects the submissions it carried, and the next ones still commit', async () => {
  let calls = 0;
  const group = new GroupCommit<number, number>(async (items) => {
    calls += 1;
    if (calls === 1) throw new Error('database gone');
    return items;
  }, 10);
  await expect(group.submit([1])).rejects.toThrow('database gone');
  expect(await group.submit([2])).toEqual([2]);
  expect(await group.submit([])).toEqual([]);
});
