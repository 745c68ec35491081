/**
 * The work's outcome, or the signal's reason as soon as it aborts. The work itself goes on: a read stuck in the kernel
 * (a stalled network mount) cannot be interrupted, and a shared model load is left to finish for whoever waits next.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
