/**
 * Runs `task` over `inputs` with at most `limit` tasks in flight; results keep the input order.
 * `task` must not reject (callers turn failures into values), so one failure never strands the
 * other workers.
 */
export async function mapWithLimit<T, R>(
  inputs: readonly T[],
  limit: number,
  task: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index], index);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, inputs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
