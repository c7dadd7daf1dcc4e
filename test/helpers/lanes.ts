/**
 * Runs `work` on every item, `lanes` at a time: for test cases that mostly wait (a proxy started
 * side by side, a timeout to expire) and are independent (own ports, own servers). Waits for
 * every lane to finish, then throws the first failure, so nothing runs on after the test ends.
 */
export async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  const pending = [...items];
  const lane = async (): Promise<void> => {
    for (let item = pending.shift(); item !== undefined; item = pending.shift()) await work(item);
  };
  const results = await Promise.allSettled(Array.from({ length: lanes }, lane));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
