/**
 * Which fetch loop to wake for new jobs. A worker runs several fetch loops so that one
 * slow receiver holds back one loop, not the worker; but waking all of them for every new job
 * made every lead that arrived alone cost one fetch per loop, all but one of them empty.
 *
 * One notification wakes one loop: an idle one that was not just woken (a loop woken moments ago
 * is probably still fetching, and may fetch before the new job commits), else the idle loop woken
 * longest ago; when every loop is busy, one of them in turn, which then fetches again as soon as
 * its batch is done instead of sleeping out its poll. A loop that fetched a full batch wakes
 * another: more jobs are probably waiting, and a backlog is shared by every loop.
 */
export interface LoopWakerOptions<LoopId> {
  /** Wakes one loop: an idle loop fetches at once; a busy one right after its batch. */
  notify: (loopId: LoopId) => void;
  /** A loop woken this recently is taken for still fetching (ms). */
  fetchingMs?: number;
  now?: () => number;
}

interface Loop<LoopId> {
  id: LoopId;
  busy: boolean;
  wokenAt: number;
}

export class LoopWaker<LoopId> {
  private readonly loops: Loop<LoopId>[] = [];
  private readonly notify: (loopId: LoopId) => void;
  private readonly fetchingMs: number;
  private readonly now: () => number;
  private nextBusy = 0;

  constructor(options: LoopWakerOptions<LoopId>) {
    this.notify = options.notify;
    this.fetchingMs = options.fetchingMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  add(loopId: LoopId): void {
    this.loops.push({ id: loopId, busy: false, wokenAt: -Infinity });
  }

  /** The loop got a batch and runs it. */
  started(loopId: LoopId): void {
    const loop = this.find(loopId);
    if (!loop) return;
    loop.busy = true;
    loop.wokenAt = -Infinity;
  }

  finished(loopId: LoopId): void {
    const loop = this.find(loopId);
    if (loop) loop.busy = false;
  }

  /** Wakes `count` different loops (at most every loop once). */
  wake(count = 1): void {
    const wanted = Math.min(Math.max(count, 1), this.loops.length);
    const woken = new Set<Loop<LoopId>>();
    for (let n = 0; n < wanted; n++) woken.add(this.wakeOne(woken));
  }

  /** Notifications may have been missed: every loop fetches once. */
  wakeAll(): void {
    for (const loop of this.loops) this.wakeLoop(loop);
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
