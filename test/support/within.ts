// A wait that must not hang: the promise's outcome, or a failure naming what did not end in time.

/** The promise's outcome, or a failure naming `what` after `ms` (so a wait that should not happen fails the test). */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
