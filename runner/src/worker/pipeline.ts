/**
 * A worker process's delivery pipeline. Fetched jobs are admitted (claimed) and handed to their
 * endpoints' lanes; each lane sends groups as its slots free; each group is recorded as soon as
 * its answers are in, together with whatever else finished meanwhile (group commit), and its jobs
 * are deleted in that same transaction. Fetching, sending and recording overlap, and nothing
 * waits for another endpoint: a slow receiver holds its own lane's slots and its own records.
 *
 *   fetch ─┬─ claimed at fetch (lane with room, no backlog) ──────────────┐
 *          └─ take(jobs) ─┬─ stuck lane ─→ deferred: queued again for later, job done
 *                         └─ backlog ─→ admission, as its lane has room ─┬─ claimed ─→ lane
 *                                                                        │   ─→ dispatch
 *                                                                        │   (template)
 *                                                                        │   ─→ recorder
 *                                                                        └─ held, superseded,
 *                                                                            nothing to send
 *                                                                            ─→ job done
 */
import type { Logger } from 'pino';

import { MAX_CONCURRENCY } from '../../../nodes/WebhookDeliver/WebhookDeliver.node.js';
import { withDbRetry } from '../db/retry.js';
import type { DeliveryJob } from '../queue.js';
import type { Delivery } from '../store/deliveries.js';
import { getEndpointsByIds, type Endpoint } from '../store/endpoints.js';
import {
  claimAtFetch,
  collectFastClaims,
  requeueDeferred,
  requeueWaiting,
  requeueWoken,
  type ClaimAtFetchRoom,
  type FastClaimed,
} from '../store/deliveryState/index.js';
import {
  admitBatch,
  fastClaimAdmission,
  type Admission,
  type ClaimRequest,
  type KnownCircuit,
  type ProbeRequest,
} from './admission.js';
import {
  countOnCircuit,
  dispatchGroup,
  endpointsAsClaimed,
  missingEndpointReport,
} from './groups.js';
import type { AttemptReport } from './dispatcher.js';
import { GroupCommit } from './groupCommit.js';
import { JobHeartbeat } from './jobHeartbeat.js';
import { EndpointLanes } from './lanes.js';
import { recordAttempts, type RecordedAttempt } from './recorder.js';
import type { WorkerDeps } from './worker.js';

/** A lane that has had all its slots taken this long is stuck: its further jobs are deferred. */
export const STUCK_LANE_MS = 1000;

/**
 * Rounds of a lane's slots it holds claimed and waiting, beyond the open ones: the next group is
 * ready when one ends. Fetched jobs beyond that wait unclaimed in the backlog, so what a claim
 * decides (order, circuit, limits) is decided shortly before the send.
 */
export const LANE_QUEUE_ROUNDS = 1;

/** How often lanes with a backlog are looked at for room or for being stuck (ms). */
export const BACKLOG_CHECK_MS = 250;

/** Deferred deliveries a stuck lane remembers, to queue as soon as it frees up. */
export const REMEMBERED_PER_LANE = 1000;

/**
 * Tries of one fetch when the database fails it transiently; after them the fetch loop reports
 * the error and waits its poll interval (a database that is down).
 */
const FETCH_TRIES = 3;

/** Attempts recorded in one transaction at most (a larger group still goes whole). */
export const MAX_RECORD_BATCH = 1000;

/** A claimed delivery on its way: its job, and its endpoint as the claim read it. */
export interface InFlight {
  delivery: Delivery;
  job: DeliveryJob;
  /** Null when the endpoint was deleted after the delivery was claimed. */
  endpoint: Endpoint | null;
  /** The circuit as the admission read it (none: closed and clean, per the fast claim). */
  circuit: KnownCircuit | null;
}

/** A fetched job, with the delivery the claim at fetch claimed for it (null: none). */
export interface FetchedJob {
  job: DeliveryJob;
  claimed: FastClaimed | null;
}

interface Recording {
  inFlight: InFlight;
  report: AttemptReport;
}

export class DeliveryPipeline {
  private readonly lanes: EndpointLanes<InFlight>;
  private readonly heartbeat: JobHeartbeat<DeliveryJob>;
  private readonly recorder: GroupCommit<Recording, RecordedAttempt>;
  /** Deliveries whose answers are in and whose record is not committed yet. */
  private recording = 0;
  /** Fetched jobs not claimed yet, by endpoint: their lane has no room for them yet. */
  private readonly backlog = new Map<string, DeliveryJob[]>();
  private backlogCount = 0;
  private backlogTimer: NodeJS.Timeout | null = null;
  /** Backlog jobs being claimed, by endpoint: they count against their lane's room. */
  private readonly claiming = new Map<string, number>();
  private claimingCount = 0;
  private claimRound: Promise<void> | null = null;
  private claimAgain = false;
  /** Groups whose work (send, record, circuit) is not finished. */
  private readonly busy = new Set<Promise<void>>();
  private readonly listeners: Array<() => void> = [];
  private readonly logger: Logger;

  constructor(private readonly deps: WorkerDeps) {
    this.logger = deps.logger;
    this.heartbeat = new JobHeartbeat({
      touch: (jobs) => deps.queue.touchJobs(jobs),
      onError: (error) => this.logger.error({ err: error }, 'refreshing job heartbeats failed'),
    });
    this.recorder = new GroupCommit((items) => this.record(items), MAX_RECORD_BATCH);
    this.lanes = new EndpointLanes<InFlight>(
      {
        maxGroupSize: MAX_CONCURRENCY,
        stuckAfterMs: STUCK_LANE_MS,
        queueRounds: LANE_QUEUE_ROUNDS,
        maxRemembered: REMEMBERED_PER_LANE,
      },
      {
        startGroup: (endpointId, items, done) => this.track(this.send(endpointId, items, done)),
        wakeDeferred: (endpointId, ids) => this.track(this.wakeDeferred(endpointId, ids)),
        changed: () => {
          if (this.backlogCount > 0) this.track(this.claimBacklog());
          this.notify();
        },
      },
    );
  }

  /** How many more jobs the worker can take now. */
  room(): number {
    const held =
      this.backlogCount + this.claimingCount + this.lanes.queued + this.lanes.open + this.recording;
    return this.deps.config.workerMaxInFlight - held;
  }

  /** Called when room may have freed. */
  onRoom(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once every delivery taken so far is sent and recorded. */
  async drained(): Promise<void> {
    while (
      this.busy.size > 0 ||
      this.claimRound ||
      this.backlogCount > 0 ||
      this.lanes.queued > 0 ||
      this.lanes.open > 0
    ) {
      await Promise.all([...this.busy, this.claimRound ?? this.claimBacklog()]);
      await this.lanes.idle();
    }
    await this.recorder.settled();
  }

  stop(): void {
    this.heartbeat.stop();
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    this.backlogTimer = null;
  }

  /**
   * Fetches up to `batchSize` jobs, and in the same statement claims what the fast claim would
   * claim now for endpoints whose lanes have room: a fresh lead's delivery goes from its job to
   * its lane in one round trip. An endpoint with a backlog gets none claimed there (its backlog
   * goes first), a stuck one none, any other at most its lane's room.
   */
  fetch(batchSize: number): Promise<FetchedJob[]> {
    const cap = this.deps.config.endpointMaxInFlight;
    const byEndpoint = this.lanes.rooms();
    for (const [endpointId, count] of this.claiming) {
      const room = byEndpoint.get(endpointId) ?? this.lanes.room(endpointId, cap);
      byEndpoint.set(endpointId, Math.max(0, room - count));
    }
    for (const endpointId of this.backlog.keys()) byEndpoint.set(endpointId, 0);
    const room: ClaimAtFetchRoom = { byEndpoint, otherwise: this.lanes.newLaneRoom(cap) };
    const alongside = claimAtFetch(room, this.deps.config.circuitBreakerThreshold > 0);
    // Two workers claiming one delivery through duplicate jobs can deadlock. The statement rolls
    // back whole (nothing fetched, nothing claimed), so it is run again at once rather than
    // failing into the fetch loop's pause, which would hold back every endpoint of the worker.
    return withDbRetry(() => this.deps.queue.fetchJobsWith(batchSize, alongside), {
      tries: FETCH_TRIES,
    }).then((fetched) => fetched.map(({ job, alongside: claimed }) => ({ job, claimed })));
  }

  /** Takes what `fetch` fetched: the claimed deliveries to their lanes, the rest to `take`. */
  async takeFetched(fetched: readonly FetchedJob[]): Promise<void> {
    const claimed = fetched.filter((item) => item.claimed !== null);
    const rest = fetched.filter((item) => item.claimed === null).map((item) => item.job);
    await Promise.all([
      claimed.length > 0 ? this.placeClaimedAtFetch(claimed) : undefined,
      rest.length > 0 ? this.take(rest) : undefined,
    ]);
  }

  /**
   * Admits a fetched batch and hands its claimed deliveries to their lanes. Jobs with nothing to
   * send are done at once; a batch whose admission fails goes back to pg-boss for a retry.
   */
  async take(jobs: DeliveryJob[]): Promise<void> {
    this.heartbeat.hold(jobs);
    const deferred: DeliveryJob[] = [];
    for (const job of jobs) {
      const { endpointId } = job.data;
      if (this.lanes.isStuck(endpointId)) {
        deferred.push(job);
        continue;
      }
      const waiting = this.backlog.get(endpointId);
      if (waiting) waiting.push(job);
      else this.backlog.set(endpointId, [job]);
      this.backlogCount += 1;
    }
    this.watchBacklog();
    await Promise.all([this.defer(deferred), this.claimBacklog()]);
  }

  /**
   * Claims, for every lane with room, the oldest of its backlog. One round at a time: a call
   * while one runs makes it go round again (and resolves with it).
   */
  private claimBacklog(): Promise<void> {
    if (this.claimRound) {
      this.claimAgain = true;
      return this.claimRound;
    }
    this.claimRound = (async () => {
      try {
        do {
          this.claimAgain = false;
          const { picked, stuck } = this.pickFromBacklog();
          await Promise.all([
            this.defer(stuck),
            picked.length > 0 ? this.admitPicked(picked) : undefined,
          ]);
        } while (this.claimAgain);
      } finally {
        this.claimRound = null;
        this.watchBacklog();
      }
    })();
    return this.claimRound;
  }

  /** Backlog jobs whose lane has room (to claim), and those of stuck lanes (to defer). */
  private pickFromBacklog(): { picked: DeliveryJob[]; stuck: DeliveryJob[] } {
    const picked: DeliveryJob[] = [];
    const stuck: DeliveryJob[] = [];
    for (const [endpointId, waiting] of this.backlog) {
      let taken: DeliveryJob[];
      if (this.lanes.isStuck(endpointId)) {
        taken = waiting.splice(0);
        stuck.push(...taken);
      } else {
        const room = this.lanes.room(endpointId, this.deps.config.endpointMaxInFlight);
        taken = waiting.splice(0, Math.max(0, room - (this.claiming.get(endpointId) ?? 0)));
        if (taken.length > 0) {
          this.claiming.set(endpointId, (this.claiming.get(endpointId) ?? 0) + taken.length);
          this.claimingCount += taken.length;
        }
        picked.push(...taken);
      }
      this.backlogCount -= taken.length;
      if (waiting.length === 0) this.backlog.delete(endpointId);
    }
    return { picked, stuck };
  }

  /**
   * While jobs wait in the backlog, their lanes are looked at a few times a second: a lane that
   * becomes stuck with a backlog hands it back to the queue (deferred), even if nothing else
   * happens in the worker meanwhile.
   */
  private watchBacklog(): void {
    if (this.backlogCount > 0 && !this.backlogTimer) {
      this.backlogTimer = setInterval(() => this.track(this.claimBacklog()), BACKLOG_CHECK_MS);
      this.backlogTimer.unref();
    } else if (this.backlogCount === 0 && this.backlogTimer) {
      clearInterval(this.backlogTimer);
      this.backlogTimer = null;
    }
  }

  /** Claims picked backlog jobs; a claim that fails hands them back to pg-boss for a retry. */
  private async admitPicked(jobs: DeliveryJob[]): Promise<void> {
    try {
      await this.admit(jobs);
    } catch (error) {
      await this.giveBack(jobs, error, 'claiming deliveries failed');
    } finally {
      for (const job of jobs) {
        const { endpointId } = job.data;
        const left = (this.claiming.get(endpointId) ?? 1) - 1;
        if (left > 0) this.claiming.set(endpointId, left);
        else this.claiming.delete(endpointId);
      }
      this.claimingCount -= jobs.length;
    }
  }

  private async admit(jobs: DeliveryJob[]): Promise<void> {
    const requests: ClaimRequest[] = [];
    const probes: ProbeRequest[] = [];
    for (const job of jobs) {
      const jobRun = job.retryCount ?? 0;
      if (job.data.probe) {
        probes.push({ endpointId: job.data.endpointId, jobId: job.id, jobRun });
      } else if (job.data.deliveryId) {
        requests.push({ deliveryId: job.data.deliveryId, jobId: job.id, jobRun });
      }
    }
    const { admission, endpoints } = await this.claim(jobs, requests, probes);
    await this.place(jobs, admission, endpoints);
  }

  /** The claim at fetch's deliveries, as if the fast claim had claimed them, to their lanes. */
  private async placeClaimedAtFetch(fetched: readonly FetchedJob[]): Promise<void> {
    const jobs = fetched.map((item) => item.job);
    this.heartbeat.hold(jobs);
    const admission = fastClaimAdmission(
      collectFastClaims(fetched.flatMap(({ claimed }) => claimed ?? [])),
    );
    try {
      const endpointIds = [...admission.endpointVersions.keys()];
      const endpoints = await endpointsAsClaimed(this.deps, endpointIds, new Map(), admission);
      await this.place(jobs, admission, endpoints);
    } catch (error) {
      // Their jobs' retries take the claims over (left to the job) and send them.
      await this.giveBack(jobs, error, 'placing claimed deliveries failed');
    }
  }

  /**
   * A batch's claimed deliveries to their lanes (a deleted endpoint's recorded as failed); the
   * jobs of the others are done.
   */
  private async place(
    jobs: readonly DeliveryJob[],
    admission: Admission,
    endpoints: ReadonlyMap<string, Endpoint>,
  ): Promise<void> {
    const byJob = new Map(jobs.map((job) => [job.id, job]));
    const claimedJobs = new Set<string>();
    const byEndpoint = new Map<string, InFlight[]>();
    const missing: Recording[] = [];
    for (const delivery of admission.claimed) {
      const job = delivery.claimJobId ? byJob.get(delivery.claimJobId) : undefined;
      if (!job) continue;
      claimedJobs.add(job.id);
      const endpoint = endpoints.get(delivery.endpointId) ?? null;
      const circuit = admission.circuits.get(delivery.endpointId) ?? null;
      const inFlight: InFlight = { delivery, job, endpoint, circuit };
      if (!endpoint) {
        missing.push({ inFlight, report: missingEndpointReport(delivery) });
        continue;
      }
      const group = byEndpoint.get(delivery.endpointId);
      if (group) group.push(inFlight);
      else byEndpoint.set(delivery.endpointId, [inFlight]);
    }

    for (const [endpointId, items] of byEndpoint) {
      const cap = Math.min(
        this.deps.config.endpointMaxInFlight,
        items[0].endpoint?.maxConcurrency ?? Infinity,
      );
      this.lanes.add(endpointId, cap, items);
    }
    if (missing.length > 0) this.track(this.recordGroup(missing));
    await this.finishUnclaimed(jobs.filter((job) => !claimedJobs.has(job.id)));
  }

  private async claim(
    jobs: readonly DeliveryJob[],
    requests: ClaimRequest[],
    probes: ProbeRequest[],
  ): Promise<{ admission: Admission; endpoints: Map<string, Endpoint> }> {
    const { deps } = this;
    const cache = deps.endpointCache;
    const unknown = [...new Set(jobs.map((job) => job.data.endpointId))].filter(
      (id) => !cache?.has(id),
    );
    // A lost connection retries the admission at once (the same job run may re-claim its
    // own claims) rather than failing the batch into pg-boss's slower retry.
    const [admission, loaded] = await Promise.all([
      withDbRetry(() =>
        admitBatch(deps.db, deps.queue, requests, probes, {
          breakerEnabled: deps.config.circuitBreakerThreshold > 0,
        }),
      ),
      unknown.length > 0
        ? withDbRetry(() => getEndpointsByIds(deps.db, deps.box, unknown))
        : new Map<string, Endpoint>(),
    ]);
    if (admission.claimed.length === 0) return { admission, endpoints: new Map() };
    const endpointIds = [...new Set(admission.claimed.map((d) => d.endpointId))];
    const endpoints = await endpointsAsClaimed(deps, endpointIds, loaded, admission);
    return { admission, endpoints };
  }

  /** Jobs whose delivery was not claimed (held, superseded, already done): they are done. */
  private async finishUnclaimed(jobs: readonly DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    this.heartbeat.release(jobs);
    await this.deps.queue
      .completeJobs(jobs)
      .catch((error) => this.logger.error({ err: error }, 'completing jobs failed'));
  }

  /**
   * Jobs for a stuck lane: their deliveries stay pending, get a new job for when a slot should
   * be free, and are remembered to be queued sooner if the lane frees up before that.
   */
  private async defer(jobs: readonly DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const { deps } = this;
    const requests = jobs.map((job) => ({
      ...job.data,
      startAfter: new Date(
        Date.now() + this.lanes.deferralMs(job.data.endpointId) * (1 + Math.random() / 5),
      ),
    }));
    try {
      await withDbRetry(() =>
        deps.db.transaction(async (tx) => {
          await requeueDeferred(tx, deps.queue, jobs, requests);
          await deps.queue.completeJobs(jobs, tx);
        }),
      );
      for (const job of jobs) {
        if (job.data.deliveryId) this.lanes.remember(job.data.endpointId, [job.data.deliveryId]);
      }
    } finally {
      this.heartbeat.release(jobs);
    }
  }

  /** A stuck lane freed up: its remembered deliveries get a job now (a second job is harmless). */
  private async wakeDeferred(endpointId: string, deliveryIds: string[]): Promise<void> {
    const { deps } = this;
    await withDbRetry(() => requeueWoken(deps.db, deps.queue, endpointId, deliveryIds)).catch(
      (error) =>
        this.logger.warn({ err: error, endpointId }, 'queueing deferred deliveries failed'),
    );
  }

  /** Sends one lane group, frees its slots when the answers are in, then records it. */
  private async send(endpointId: string, items: InFlight[], done: () => void): Promise<void> {
    let reports: AttemptReport[];
    try {
      reports = await this.dispatchByVersion(items);
    } finally {
      this.recording += items.length;
      done();
    }
    try {
      await this.recordGroup(
        items.map((inFlight, index) => ({ inFlight, report: reports[index] })),
      );
    } finally {
      this.recording -= items.length;
      this.notify();
    }
    if (items[0].endpoint?.maxConcurrency) {
      await requeueWaiting(this.deps.db, this.deps.queue, endpointId, items.length).catch((error) =>
        this.logger.warn({ err: error, endpointId }, 'queueing waiting deliveries failed'),
      );
    }
  }

  /**
   * A lane may hold deliveries claimed under two versions of its endpoint (edited in between):
   * each is sent with the version its claim read.
   */
  private async dispatchByVersion(items: readonly InFlight[]): Promise<AttemptReport[]> {
    const byEndpoint = new Map<Endpoint, number[]>();
    items.forEach((item, index) => {
      if (!item.endpoint) return;
      const indexes = byEndpoint.get(item.endpoint);
      if (indexes) indexes.push(index);
      else byEndpoint.set(item.endpoint, [index]);
    });
    const reports = new Array<AttemptReport>(items.length);
    await Promise.all(
      [...byEndpoint].map(async ([endpoint, indexes]) => {
        const group = await dispatchGroup(
          this.deps,
          endpoint,
          indexes.map((index) => items[index].delivery),
        );
        indexes.forEach((index, position) => (reports[index] = group[position]));
      }),
    );
    return reports;
  }

  /** Records a group (with whatever else is being recorded), then counts it on its circuit. */
  private async recordGroup(group: Recording[]): Promise<void> {
    let recorded: RecordedAttempt[];
    try {
      recorded = await this.recorder.submit(group);
    } catch (error) {
      // The attempts are not recorded: pg-boss retries the jobs, and the retry sends again.
      const jobs = group.map((item) => item.inFlight.job);
      await this.giveBack(jobs, error, 'recording attempts failed');
      return;
    }
    const first = group[0].inFlight;
    if (!first.endpoint) return;
    await countOnCircuit(
      this.deps,
      first.circuit,
      first.delivery.endpointId,
      group.map((item) => item.inFlight.delivery),
      recorded.map((entry) => entry.report),
    );
  }

  /** One group commit: every item's attempt, retry, hand-off and job deletion in one transaction. */
  private async record(items: Recording[]): Promise<RecordedAttempt[]> {
    const jobs = items.map((item) => item.inFlight.job);
    const recorded = await recordAttempts(
      this.deps.db,
      this.deps.queue,
      items.map((item) => ({ delivery: item.inFlight.delivery, report: item.report })),
      {
        retryScheduleMs: this.deps.config.retryScheduleMs,
        logger: this.logger,
        alerts: this.deps.queue,
        inTransaction: (tx) => this.deps.queue.completeJobs(jobs, tx),
      },
    );
    this.heartbeat.release(jobs);
    return recorded;
  }

  /** Hands jobs whose work failed back to pg-boss, which retries them with backoff. */
  private async giveBack(
    jobs: readonly DeliveryJob[],
    error: unknown,
    what: string,
  ): Promise<void> {
    this.heartbeat.release(jobs);
    this.logger.error({ err: error, jobs: jobs.length }, what);
    await this.deps.queue
      .failJobs(jobs, error)
      .catch((failure) => this.logger.error({ err: failure }, 'failing jobs failed'));
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error) => this.logger.error({ err: error }, 'delivery group failed'))
      .finally(() => this.busy.delete(tracked));
    this.busy.add(tracked);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
