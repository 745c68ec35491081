// At most one redraw per interval (10 per second by default): the first change draws at once, later ones within
// the interval are merged and the latest is drawn when it ends, so the view never lags more than one interval.

export interface Throttle<T> {
  push(value: T): void;
  /** Draws a pending value now (for the final state, which must not wait). */
  flush(): void;
  /** Drops a pending value and stops the timer (the view went away). */
  cancel(): void;
}

export function redrawThrottle<T>(draw: (value: T) => void, minIntervalMs = 100): Throttle<T> {
  let lastDraw = -Infinity;
  let pending: { value: T } | null = null;
  let timer: NodeJS.Timeout | null = null;
  const drawNow = (value: T) => {
    lastDraw = performance.now();
    pending = null;
    draw(value);
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending) drawNow(pending.value);
  };
  const untilNext = () => lastDraw + minIntervalMs - performance.now();
  // Node's timers may fire a millisecond early: a timer that did waits for the rest.
  const onTimer = () => {
    timer = null;
    const wait = untilNext();
    if (wait > 0) timer = setTimeout(onTimer, Math.ceil(wait));
    else flush();
  };
  return {
    push(value) {
      if (untilNext() <= 0 && !timer) {
        drawNow(value);
        return;
      }
      pending = { value };
      timer ??= setTimeout(onTimer, Math.ceil(Math.max(untilNext(), 0)));
    },
    flush,
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
