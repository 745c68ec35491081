// glibc gives each thread that allocates an arena of its own, and the engine's jobs and streams run on threads of their
// own. The free space at the top of a thread's arena goes back to the system only in free(), past a threshold glibc
// raises to 64 MB as large blocks are freed; malloc_trim (the daemon's trim as its queue drains) shrinks the main
// arena's top alone. So a daemon running live jobs beside a speaker stream kept every arena's high-water mark: +24 to
// +48 MB over a 10-minute meeting. With one arena the trim reaches it all (-0.6 MB), and the engine is as fast
// (test/bench/README.md, "A meeting's memory"). The arena limit must be in place before Node starts its threads, so the
// daemon starts itself again (the same process: execve) with it. Lower trim thresholds would also free the tops, but
// fault the engine's activations in again on every operation (a base encoder pass took 2.6 times as long).

const ONE_ARENA = "glibc.malloc.arena_max=1";

/**
 * On Linux, unless GLIBC_TUNABLES already limits the arenas (the user's own setting stands), this process is replaced
 * by itself with one malloc arena; elsewhere (macOS's allocator has no such arenas), nothing happens.
 */
export function shareMallocArenas(): void {
  if (process.platform !== "linux" || typeof process.execve !== "function") return;
  const tunables = process.env.GLIBC_TUNABLES ?? "";
  if (/(^|:)glibc\.malloc\.arena_max=/.test(tunables)) return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    GLIBC_TUNABLES: tunables ? `${tunables}:${ONE_ARENA}` : ONE_ARENA,
  });
}
