/**
 * Which fetch loop to wake for new jobs. A worker runs several fetch loops so that one
 * slow receiver holds back one loop, not the worker; but waking all of them for every new job
 * made every lead that arrived alone cost one fetch per loop, all but one of them empty.
 *
 * One notification wakes one loop. While `activeLimit` loops are running batches they started
 * less than `stalledAfterMs` ago, it goes to one of them, which fetches again as soon as its batch
 * is done (the new job joins its next batch) instead of to an idle loop: on a machine whose cores
 * are busy, two loops each fetching a job or two cost twice the fixed work of a batch (fetch,
 * claim, an engine run, recording: milliseconds of CPU in the worker and PostgreSQL) of one loop
 * fetching both, and the cores are what the jobs wait for. A loop busy for longer (a slow
 * receiver, a large batch) no longer counts, so a slow endpoint holds other endpoints' new jobs
 * back by `stalledAfterMs` at most.
 *
 * Otherwise an idle loop that was not just woken (a loop woken moments ago is probably still
 * fetching, and may fetch before the new job commits), else the idle loop woken longest ago; when
 * every loop is busy, one of them in turn. A loop that fetched a full batch wakes another
 * (`wakeForBacklog`, whatever the limit): more jobs are waiting, and a backlog is shared by every
 * loop.
 */
export interface LoopWakerOptions<LoopId> {
  /** Wakes one loop: an idle loop fetches at once; a busy one right after its batch. */
  notify: (loopId: LoopId) => void;
  /** A loop woken this recently is taken for still fetching (ms). */
  fetchingMs?: number;
  /** New jobs go to a running loop while this many run batches younger than `stalledAfterMs`. */
  activeLimit?: number;
  /** A batch running this long no longer counts against `activeLimit` (ms). */
  stalledAfterMs?: number;
  now?: () => number;
}

interface Loop<LoopId> {
  id: LoopId;
  busy: boolean;
  busySince: number;
  wokenAt: number;
}

export class LoopWaker<LoopId> {
  private readonly loops: Loop<LoopId>[] = [];
  private readonly notify: (loopId: LoopId) => void;
  private readonly fetchingMs: number;
  private readonly activeLimit: number;
  private readonly stalledAfterMs: number;
  private readonly now: () => number;
  private nextBusy = 0;
  private nextActive = 0;

  constructor(options: LoopWakerOptions<LoopId>) {
    this.notify = options.notify;
    this.fetchingMs = options.fetchingMs ?? 50;
    this.activeLimit = options.activeLimit ?? Infinity;
    this.stalledAfterMs = options.stalledAfterMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  add(loopId: LoopId): void {
    this.loops.push({ id: loopId, busy: false, busySince: 0, wokenAt: -Infinity });
  }

  /** The loop got a batch and runs it. */
  started(loopId: LoopId): void {
    const loop = this.find(loopId);
    if (!loop) return;
    loop.busy = true;
    loop.busySince = this.now();
    loop.wokenAt = -Infinity;
  }

  finished(loopId: LoopId): void {
    const loop = this.find(loopId);
    if (loop) loop.busy = false;
  }

  /**
   * New jobs: wakes one loop, or `count` different loops (at most every loop once) when that many
   * batches' worth arrived together.
   */
  wake(count = 1): void {
    const wanted = Math.min(Math.max(count, 1), this.loops.length);
    if (wanted === 1) {
      const active = this.activeLoop();
      if (active) {
        this.notify(active.id);
        return;
      }
    }
    const woken = new Set<Loop<LoopId>>();
    for (let n = 0; n < wanted; n++) woken.add(this.wakeOne(woken));
  }

  /** A loop fetched a full batch: another loop shares the backlog, whatever `activeLimit`. */
  wakeForBacklog(): void {
    this.wakeOne(new Set());
  }

  /** Notifications may have been missed: every loop fetches once. */
  wakeAll(): void {
    for (const loop of this.loops) this.wakeLoop(loop);
  }

  /** One of the loops running young batches, in turn, when there are `activeLimit` of them. */
  private activeLoop(): Loop<LoopId> | undefined {
    if (this.activeLimit === Infinity) return undefined;
    const now = this.now();
    const active = this.loops.filter(
      (loop) => loop.busy && now - loop.busySince < this.stalledAfterMs,
    );
    if (active.length < this.activeLimit) return undefined;
    return active[this.nextActive++ % active.length];
  }

  private wakeOne(skip: ReadonlySet<Loop<LoopId>>): Loop<LoopId> {
    const now = this.now();
    let idle: Loop<LoopId> | undefined;
    for (const loop of this.loops) {
      if (loop.busy || skip.has(loop)) continue;
      if (now - loop.wokenAt >= this.fetchingMs) {
        idle = loop;
        break;
      }
      if (!idle || loop.wokenAt < idle.wokenAt) idle = loop;
    }
    if (idle) {
      this.wakeLoop(idle, now);
      return idle;
    }
    let busy = this.loops[this.nextBusy % this.loops.length];
    for (let tries = 0; skip.has(busy) && tries < this.loops.length; tries++) {
      this.nextBusy = (this.nextBusy + 1) % this.loops.length;
      busy = this.loops[this.nextBusy];
    }
    this.nextBusy = (this.nextBusy + 1) % this.loops.length;
    this.notify(busy.id);
    return busy;
  }

  private wakeLoop(loop: Loop<LoopId>, now: number = this.now()): void {
    if (!loop.busy) loop.wokenAt = now;
    this.notify(loop.id);
  }

  private find(loopId: LoopId): Loop<LoopId> | undefined {
    return this.loops.find((loop) => loop.id === loopId);
  }
}
