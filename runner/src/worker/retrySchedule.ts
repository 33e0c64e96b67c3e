/**
 * R5 retry timing: the configured schedule (default 5 s, 1 min, 5 min, 30 min, 2 h, 6 h) with up
 * JITTER_RATIO added jitter so a receiver that comes back is not hit by every held delivery at once;
 * a Retry-After longer than the scheduled delay wins.
 */
export const JITTER_RATIO = 0.2;

export interface RetryDecision {
  retry: boolean;
  /** When to try again; null when the delivery is failed for good. */
  nextAttemptAt: Date | null;
}

export function nextRetry(
  scheduleMs: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | null,
  now: Date = new Date(),
  random: () => number = Math.random,
): RetryDecision {
  const scheduled = scheduleMs[attemptsMade - 1];
  if (scheduled === undefined) return { retry: false, nextAttemptAt: null };
  const jittered = scheduled + Math.round(scheduled * JITTER_RATIO * random());
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  return { retry: true, nextAttemptAt: new Date(now.getTime() + delay) };
}
