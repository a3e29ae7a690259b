/**
 * Starts several test servers at once (moto, the fake clouds, sshd hosts). If one fails, the
 * ones that did start are stopped before the error is rethrown: a server left listening, or a
 * child process left running, keeps the test file's process alive, and the test runner then
 * waits for it forever (a CI run hung so when a netns host failed to boot beside moto).
 */
export async function startTogether<T extends readonly unknown[]>(
  starts: { [K in keyof T]: Promise<T[K]> },
  stop: (server: T[number]) => Promise<unknown>,
): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failure) return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  await Promise.allSettled(settled.flatMap((s) => (s.status === 'fulfilled' ? [stop(s.value as T[number])] : [])));
  throw failure.reason;
}
