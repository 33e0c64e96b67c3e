/**
 * Keeps the pg-boss jobs a worker holds alive: every job it fetched and has not settled yet (its
 * delivery waiting for a slot, sent, or being recorded) gets its heartbeat refreshed, all in one
 * call, at half the heartbeat period. A worker that dies stops refreshing, and pg-boss's
 * supervisor retries its jobs once their heartbeat lapses; a live one waiting on a slow receiver
 * never loses them.
 */
export interface HeartbeatJob {
  id: string;
  /** Seconds within which the heartbeat must be refreshed; null: the job has none. */
  heartbeatSeconds: number | null;
}

export interface JobHeartbeatOptions<J extends HeartbeatJob> {
  touch(jobs: readonly J[]): Promise<void>;
  onError(error: unknown): void;
}

export class JobHeartbeat<J extends HeartbeatJob> {
  private readonly held = new Map<string, J>();
  private timer: NodeJS.Timeout | null = null;
  private periodMs = Infinity;

  constructor(private readonly options: JobHeartbeatOptions<J>) {}

  /** Jobs held until `release`: their heartbeat is refreshed meanwhile. */
  hold(jobs: readonly J[]): void {
    for (const job of jobs) {
      this.held.set(job.id, job);
      if (job.heartbeatSeconds && (job.heartbeatSeconds * 1000) / 2 < this.periodMs) {
        this.periodMs = (job.heartbeatSeconds * 1000) / 2;
        this.restart();
      }
    }
  }

  release(jobs: readonly J[]): void {
    for (const job of jobs) this.held.delete(job.id);
  }

  /** How many jobs are held. */
  get size(): number {
    return this.held.size;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private restart(): void {
    this.stop();
    if (this.periodMs === Infinity) return;
    this.timer = setInterval(() => this.beat(), this.periodMs);
    this.timer.unref();
  }

  private beat(): void {
    const jobs = [...this.held.values()].filter((job) => job.heartbeatSeconds);
    if (jobs.length === 0) return;
    this.options.touch(jobs).catch((error) => this.options.onError(error));
  }
}
