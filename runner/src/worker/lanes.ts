/**
 * One lane per endpoint: the deliveries a worker process has claimed for it, sent in groups as
 * slots free, at most `cap` of them open at once. A lane is an endpoint's fair share of the
 * process: a receiver that answers slowly, or never, fills its own lane and no one else's.
 *
 * - A group starts as soon as the lane has free slots and claimed deliveries waiting: what arrives
 *   together for an endpoint goes out together (one template execution), a lone delivery is a
 *   group of one.
 * - A lane is *stuck* when all its slots are taken and its oldest open request has been waiting
 *   for `stuckAfterMs`: deliveries for it are then not claimed but deferred (the worker queues them
 *   again for later), so a backlog behind a hanging receiver stays in the queue instead of in
 *   this process, where it would wait for slots while other endpoints' jobs wait behind it.
 *   Deferred deliveries are remembered (up to a bound) and queued at once when the lane frees up.
 * - A lane takes its slots and `queueRounds` rounds of them (`room`): the pipeline claims no more
 *   for it, so a claimed delivery waits a bounded time for its slot.
 *
 * Pure bookkeeping: the caller starts groups (`startGroup`) and says when their answers are in.
 */

export interface LaneSettings {
  /** Largest group one template execution sends (Webhook Deliver's concurrency limit). */
  maxGroupSize: number;
  /** An endpoint whose slots are all taken this long is stuck (ms). */
  stuckAfterMs: number;
  /** Full rounds of claimed deliveries a lane may hold waiting before the fetcher pauses. */
  queueRounds: number;
  /** Deferred deliveries a lane remembers to queue again as soon as it frees up. */
  maxRemembered: number;
  now?: () => number;
}

export interface LaneEvents<T> {
  /** Start sending `items` to `endpointId`; `done` must be called once their answers are in. */
  startGroup(endpointId: string, items: T[], done: () => void): void;
  /** Deferred deliveries of a lane that has freed up: queue them now. */
  wakeDeferred(endpointId: string, deliveryIds: string[]): void;
  /** Slots or room changed: the fetcher may fetch again. */
  changed(): void;
}

interface OpenGroup {
  size: number;
  startedAt: number;
}

interface Lane<T> {
  endpointId: string;
  cap: number;
  queued: T[];
  open: OpenGroup[];
  openCount: number;
  deferred: string[];
}

export class EndpointLanes<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly now: () => number;
  private queuedCount = 0;
  private openCount = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly settings: LaneSettings,
    private readonly events: LaneEvents<T>,
  ) {
    this.now = settings.now ?? (() => performance.now());
  }

  /** Claimed deliveries waiting for a slot, across lanes. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Deliveries whose requests are open, across lanes. */
  get open(): number {
    return this.openCount;
  }

  /** A lane that is full and has been waiting on its oldest open request too long. */
  isStuck(endpointId: string): boolean {
    const lane = this.lanes.get(endpointId);
    return lane !== undefined && this.stuck(lane);
  }

  /**
   * How long a deferred delivery of a stuck lane should wait before it is looked at again: as long
   * as its oldest open request has waited so far (a slot frees when one answers or times out),
   * at least `stuckAfterMs`. Deferred deliveries are queued sooner when the lane frees up.
   */
  deferralMs(endpointId: string): number {
    const lane = this.lanes.get(endpointId);
    const oldest = lane ? this.oldestOpenAge(lane) : 0;
    return Math.max(this.settings.stuckAfterMs, oldest);
  }

  /** Remembers deferred deliveries, to queue them as soon as their lane frees up. */
  remember(endpointId: string, deliveryIds: readonly string[]): void {
    const lane = this.lanes.get(endpointId);
    if (!lane) return;
    const room = this.settings.maxRemembered - lane.deferred.length;
    if (room > 0) lane.deferred.push(...deliveryIds.slice(0, room));
  }

  /**
   * How many more deliveries the lane of `endpointId` may take (claimed and waiting, or open):
   * its slots and `queueRounds` rounds of them. A lane not seen yet gets `cap` slots. Bounding it
   * bounds how long a claimed delivery can wait for its slot.
   */
  room(endpointId: string, cap: number): number {
    const lane = this.lanes.get(endpointId);
    return lane ? this.laneRoom(lane) : this.newLaneRoom(cap);
  }

  /** The room of a lane not seen yet, whose cap will be `cap`. */
  newLaneRoom(cap: number): number {
    return Math.max(1, cap) * (this.settings.queueRounds + 1);
  }

  /**
   * `room` for every lane there is, 0 for a stuck one; a lane not listed has the room of a new
   * one (`newLaneRoom`).
   */
  rooms(): Map<string, number> {
    const rooms = new Map<string, number>();
    for (const lane of this.lanes.values()) {
      rooms.set(lane.endpointId, this.stuck(lane) ? 0 : Math.max(0, this.laneRoom(lane)));
    }
    return rooms;
  }

  /** Claimed deliveries join their endpoint's lane; groups start while it has free slots. */
  add(endpointId: string, cap: number, items: readonly T[]): void {
    if (items.length === 0) return;
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = { endpointId, cap, queued: [], open: [], openCount: 0, deferred: [] };
      this.lanes.set(endpointId, lane);
    }
    lane.cap = Math.max(1, cap);
    lane.queued.push(...items);
    this.queuedCount += items.length;
    this.pump(lane);
  }

  /** Resolves once no lane holds a claimed delivery or an open request. */
  idle(): Promise<void> {
    if (this.queuedCount === 0 && this.openCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private laneRoom(lane: Lane<T>): number {
    return lane.cap * (this.settings.queueRounds + 1) - lane.queued.length - lane.openCount;
  }

  private stuck(lane: Lane<T>): boolean {
    return lane.openCount >= lane.cap && this.oldestOpenAge(lane) >= this.settings.stuckAfterMs;
  }

  private oldestOpenAge(lane: Lane<T>): number {
    if (lane.open.length === 0) return 0;
    let oldest = Infinity;
    for (const group of lane.open) oldest = Math.min(oldest, group.startedAt);
    return this.now() - oldest;
  }

  private pump(lane: Lane<T>): void {
    while (lane.queued.length > 0 && lane.openCount < lane.cap) {
      const size = Math.min(
        lane.queued.length,
        lane.cap - lane.openCount,
        this.settings.maxGroupSize,
      );
      const items = lane.queued.splice(0, size);
      this.queuedCount -= size;
      const group: OpenGroup = { size, startedAt: this.now() };
      lane.open.push(group);
      lane.openCount += size;
      this.openCount += size;
      let finished = false;
      this.events.startGroup(lane.endpointId, items, () => {
        if (finished) return;
        finished = true;
        this.finish(lane, group);
      });
    }
  }

  private finish(lane: Lane<T>, group: OpenGroup): void {
    lane.open.splice(lane.open.indexOf(group), 1);
    lane.openCount -= group.size;
    this.openCount -= group.size;
    this.pump(lane);
    const free = lane.cap - lane.openCount;
    if (lane.queued.length === 0 && free > 0 && lane.deferred.length > 0) {
      this.events.wakeDeferred(lane.endpointId, lane.deferred.splice(0, free));
    }
    if (lane.queued.length === 0 && lane.openCount === 0 && lane.deferred.length === 0) {
      this.lanes.delete(lane.endpointId);
    }
    this.events.changed();
    if (this.queuedCount === 0 && this.openCount === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
