/**
 * Group commit: work submitted while a commit is running waits for it and then goes out together
 * in the next one. An idle committer commits at once, so a lone submission is never held back;
 * under load, everything that finished during one commit shares the next transaction.
 */

interface Entry<I, R> {
  items: readonly I[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<I, R> {
  private pending: Array<Entry<I, R>> = [];
  private running: Promise<void> | null = null;

  /**
   * `commit` handles many submissions' items at once and answers one result per item, in order.
   * `maxItems` bounds one commit (a submission larger than that still goes whole).
   */
  constructor(
    private readonly commit: (items: I[]) => Promise<R[]>,
    private readonly maxItems: number,
  ) {}

  /** Resolves with the items' results once the commit that carried them is done. */
  submit(items: readonly I[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch: Array<Entry<I, R>> = [];
        let count = 0;
        while (this.pending.length > 0 && (batch.length === 0 || count < this.maxItems)) {
          const entry = this.pending[0];
          if (batch.length > 0 && count + entry.items.length > this.maxItems) break;
          batch.push(entry);
          count += entry.items.length;
          this.pending.shift();
        }
        await this.commitBatch(batch);
      }
    } finally {
      this.running = null;
    }
  }

  private async commitBatch(batch: Array<Entry<I, R>>): Promise<void> {
    let results: R[];
    try {
      results = await this.commit(batch.flatMap((entry) => [...entry.items]));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    let offset = 0;
    for (const entry of batch) {
      entry.resolve(results.slice(offset, offset + entry.items.length));
      offset += entry.items.length;
    }
  }
}
