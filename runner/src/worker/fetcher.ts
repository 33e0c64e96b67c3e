/**
 * A worker's fetch loop: fetch jobs while the worker has room for more deliveries, hand each
 * batch over (claimed and passed to the endpoint lanes, not sent and waited for), and fetch
 * again. Sending and recording run beside it, so a slow receiver never holds the loop: what
 * bounds fetching is room (deliveries the worker holds), not batches in hand.
 *
 * The runner's own loop over pg-boss's fetch rather than pg-boss's work(): work() holds a batch
 * until its handler settles it, which is exactly the coupling this loop removes, and for every
 * batch it builds an AbortController per job and an AbortSignal.any that the runner has no use
 * for. A job whose worker stalls or dies lapses by its heartbeat and is retried by pg-boss.
 */
export interface FetcherOptions<J> {
  fetch(batchSize: number): Promise<J[]>;
  /** Takes a fetched batch over; resolves once it is handed on (its sends may still be open). */
  handle(jobs: J[]): Promise<void>;
  /** How many more jobs the worker can take now; 0 or less: wait for `roomChanged`. */
  room(): number;
  batchSize: number;
  /** Sleep between fetches that came back short, unless woken (ms). */
  pollIntervalMs: number;
  /** A fetch or a hand-over failed: reported, and the loop carries on. */
  onError(error: unknown, during: 'fetch' | 'handle'): void;
}

export class Fetcher<J> {
  private stopping = false;
  /** A wake-up came since the last fetch began: fetch again instead of sleeping. */
  private woken = false;
  private interrupt: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: FetcherOptions<J>) {}

  start(): void {
    this.running ??= this.run();
  }

  /** New jobs may be waiting: an idle loop fetches at once, a busy one right after. */
  wake(): void {
    this.woken = true;
    this.interrupt?.();
  }

  /** Room may have freed: a loop waiting for it looks again. */
  roomChanged(): void {
    this.interrupt?.();
  }

  /** Stops fetching; resolves once the batch being handed over is handed over. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.interrupt?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const { batchSize, pollIntervalMs, onError } = this.options;
    while (!this.stopping) {
      const room = this.options.room();
      if (room <= 0) {
        // Woken by room freeing (or a poll, in case a change was missed).
        await this.pause(pollIntervalMs, { wakeOnJobs: false, wakeOnRoom: true });
        continue;
      }
      this.woken = false;
      const wanted = Math.min(batchSize, room);
      let jobs: J[];
      try {
        jobs = await this.options.fetch(wanted);
      } catch (error) {
        onError(error, 'fetch');
        // Waits out the poll: a database that is down would otherwise be asked at every wake-up.
        await this.pause(pollIntervalMs, { wakeOnJobs: false, wakeOnRoom: false });
        continue;
      }
      if (jobs.length > 0) {
        try {
          await this.options.handle(jobs);
        } catch (error) {
          onError(error, 'handle');
        }
      }
      // A full batch means more is probably waiting.
      if (this.stopping || jobs.length >= wanted || this.woken) continue;
      await this.pause(pollIntervalMs, { wakeOnJobs: true, wakeOnRoom: false });
    }
  }

  /** Sleeps up to `ms`; stop() always ends it, wake() and roomChanged() as asked. */
  private pause(
    ms: number,
    { wakeOnJobs, wakeOnRoom }: { wakeOnJobs: boolean; wakeOnRoom: boolean },
  ): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        if (this.interrupt === interrupt) this.interrupt = null;
        resolve();
      };
      const interrupt = () => {
        if (this.stopping) end();
        else if (wakeOnJobs && this.woken) end();
        else if (wakeOnRoom && this.options.room() > 0) end();
      };
      const timer = setTimeout(end, ms);
      this.interrupt = interrupt;
    });
  }
}
