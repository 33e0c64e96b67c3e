/**
 * One of a worker's fetch loops: fetch a batch of jobs, hand it to the batch handler, settle it,
 * and fetch again at once while batches come back full, else after a wake-up or the poll.
 *
 * The runner's own loop over pg-boss's fetch, complete, fail and touch, rather than pg-boss's
 * work(): for every batch work() joins an AbortController per job with the batch's through
 * AbortSignal.any (2.3 ms for a batch of 200 on this machine's CPU, and weak references for the
 * collector), races the handler against a timer whose cancellation builds a DOMException with a
 * stack trace, and wakes a sleeping loop by aborting its delay (another DOMException). The batch
 * handler needs none of it: a delivery is sent only under its own claim (admission.ts), and a job
 * whose worker stalls or dies lapses by its heartbeat and is retried by pg-boss's supervisor.
 */
export interface FetchedJob {
  id: string;
  /** Seconds within which a running job's heartbeat must be refreshed; null: no heartbeat. */
  heartbeatSeconds: number | null;
}

export interface JobSource<J extends FetchedJob> {
  fetchJobs(batchSize: number): Promise<J[]>;
  completeJobs(jobs: readonly J[]): Promise<void>;
  failJobs(jobs: readonly J[], error: unknown): Promise<void>;
  touchJobs(jobs: readonly J[]): Promise<void>;
}

/** What a batch handler may answer: `settled` when it completed the jobs itself (committed). */
export type BatchOutcome = void | 'settled';

export interface FetchLoopOptions<J extends FetchedJob> {
  source: JobSource<J>;
  /**
   * Runs one batch; a throw fails the whole batch into pg-boss's retries. A handler that
   * completed the jobs in its own transaction answers `settled`, and the loop leaves them be.
   */
  handle: (jobs: J[]) => Promise<BatchOutcome>;
  batchSize: number;
  /** Sleep between fetches that came back short, unless woken (ms). */
  pollIntervalMs: number;
  /** A queue call failed (fetch, settle or heartbeat): reported, and the loop carries on. */
  onError: (error: unknown, during: 'fetch' | 'complete' | 'fail' | 'touch') => void;
  /** Around each batch, from its fetch returning to its settling (for the loop waker). */
  onBatchStart?: (jobs: readonly J[]) => void;
  onBatchEnd?: () => void;
}

export class FetchLoop<J extends FetchedJob> {
  private stopping = false;
  /** A wake-up came since the last fetch began: fetch again instead of sleeping. */
  private woken = false;
  private endSleep: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: FetchLoopOptions<J>) {}

  start(): void {
    this.running ??= this.run();
  }

  /** New jobs may be waiting: an idle loop fetches at once, a busy one right after its batch. */
  wake(): void {
    this.woken = true;
    this.endSleep?.();
  }

  /** Stops fetching; resolves when the batch in hand is handled and settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.endSleep?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const { source, batchSize, pollIntervalMs, onError } = this.options;
    while (!this.stopping) {
      this.woken = false;
      let jobs: J[];
      try {
        jobs = await source.fetchJobs(batchSize);
      } catch (error) {
        onError(error, 'fetch');
        // Waits out the poll even when woken: a database that is down would otherwise be asked
        // again at every notification.
        await this.sleep(pollIntervalMs, { wakeable: false });
        continue;
      }
      if (jobs.length > 0) await this.runBatch(jobs);
      // A full batch means more is probably waiting.
      if (this.stopping || jobs.length >= batchSize || this.woken) continue;
      await this.sleep(pollIntervalMs, { wakeable: true });
    }
  }

  private async runBatch(jobs: J[]): Promise<void> {
    const { source, handle, onError } = this.options;
    this.options.onBatchStart?.(jobs);
    const heartbeat = this.startHeartbeat(jobs);
    try {
      let failure: { error: unknown } | null = null;
      let outcome: BatchOutcome = undefined;
      try {
        outcome = await handle(jobs);
      } catch (error) {
        failure = { error };
      } finally {
        if (heartbeat) clearInterval(heartbeat);
      }
      // A settle that fails leaves the jobs active: their heartbeat lapses and pg-boss retries
      // them, and the retry finds each delivery already settled or claimable again.
      if (failure) await source.failJobs(jobs, failure.error).catch((e) => onError(e, 'fail'));
      else if (outcome !== 'settled') {
        await source.completeJobs(jobs).catch((e) => onError(e, 'complete'));
      }
    } finally {
      this.options.onBatchEnd?.();
    }
  }

  /** Refreshes the batch's heartbeat at half its shortest period, as pg-boss's work() does. */
  private startHeartbeat(jobs: readonly J[]): NodeJS.Timeout | null {
    let seconds = Infinity;
    for (const job of jobs) {
      if (job.heartbeatSeconds && job.heartbeatSeconds < seconds) seconds = job.heartbeatSeconds;
    }
    if (seconds === Infinity) return null;
    const timer = setInterval(
      () => {
        this.options.source.touchJobs(jobs).catch((error) => this.options.onError(error, 'touch'));
      },
      (seconds * 1000) / 2,
    );
    timer.unref();
    return timer;
  }

  private sleep(ms: number, { wakeable }: { wakeable: boolean }): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        if (this.endSleep === interrupt) this.endSleep = null;
        resolve();
      };
      // stop() always ends a sleep; wake() only a wakeable one.
      const interrupt = () => {
        if (wakeable || this.stopping) end();
      };
      const timer = setTimeout(end, ms);
      this.endSleep = interrupt;
    });
  }
}
