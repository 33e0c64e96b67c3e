/**
 * store/deliveryState is the only code that changes a delivery's status or creates its job: no
 * other source file of the runner writes the deliveries table or calls `enqueueDeliveries`, and
 * inside the module only jobs.ts calls it. A new caller has to go through the module's stages,
 * where the send conditions and the job rules are.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');
const MODULE = path.join(SRC, 'store', 'deliveryState');
/** Where the queue defines the method (its interface and implementation), not a caller. */
const QUEUE = path.join(SRC, 'queue.ts');

const ENQUEUE_CALL = /\benqueueDeliveries\s*\(/;
/** A statement that changes rows of deliveries (a status, or a new delivery). */
const DELIVERY_WRITE = /\b(?:UPDATE(?:\s+ONLY)?|INSERT\s+INTO|MERGE\s+INTO)\s+deliveries\b/i;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function matching(files: readonly string[], pattern: RegExp): string[] {
  return files
    .filter((file) => pattern.test(readFileSync(file, 'utf8')))
    .map((file) => path.relative(SRC, file))
    .sort();
}

const all = sources(SRC);
const inside = all.filter((file) => file.startsWith(MODULE + path.sep));
const outside = all.filter((file) => !file.startsWith(MODULE + path.sep));

test('no file outside store/deliveryState writes deliveries', () => {
  expect(matching(outside, DELIVERY_WRITE)).toEqual([]);
});

test('no file outside store/deliveryState calls enqueueDeliveries', () => {
  expect(
    matching(
      outside.filter((file) => file !== QUEUE),
      ENQUEUE_CALL,
    ),
  ).toEqual([]);
});

test('inside it, jobs.ts alone calls enqueueDeliveries', () => {
  expect(matching(inside, ENQUEUE_CALL)).toEqual([path.join('store', 'deliveryState', 'jobs.ts')]);
});

test('the patterns find the writers they are meant to find', () => {
  // Guards the test itself: a pattern that matched nothing would pass above for nothing.
  expect(matching(inside, DELIVERY_WRITE)).toEqual(
    ['claim.ts', 'create.ts', 'order.ts', 'replay.ts', 'requeue.ts', 'settle.ts'].map((name) =>
      path.join('store', 'deliveryState', name),
    ),
  );
  expect(matching([QUEUE], ENQUEUE_CALL)).toEqual(['queue.ts']);
});
