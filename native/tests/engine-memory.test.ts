// engineMemory() and trimNativeHeap() (native/lib/index.ts), which the daemon's memory report and its trim after idle
// rest on. In a child process of its own, whose heap the test shapes: glibc keeps freed memory that lies between
// blocks still in use, which only a trim gives back.
import { execFileSync } from "node:child_process";
import path from "node:path";

const dist = path.join(__dirname, "..", "dist", "index.js");

test("the engine's memory is null until the engine is used; then the heap in use and no file mapped", () => {
  const script = `
    const native = require(${JSON.stringify(dist)});
    const before = native.engineMemory();
    native.buildInfo(); // loads the engine
    console.log(JSON.stringify({ before, after: native.engineMemory() }));`;
  const { before, after } = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
  expect(before).toBeNull();
  expect(after.mappedFilesBytes).toBe(0);
  if (process.platform === "linux" || process.platform === "darwin") expect(after.heapInUseBytes).toBeGreaterThan(0);
});

test("trimNativeHeap gives back freed heap that lies between blocks still in use", () => {
  const script = `
    const native = require(${JSON.stringify(dist)});
    native.buildInfo();
    const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
    // 160 MB in 64 KB buffers (under malloc's mmap threshold: from its heap), each followed by a small one kept.
    let freed = [];
    const kept = [];
    for (let i = 0; i < 2560; i++) {
      freed.push(Buffer.alloc(64 * 1024, 1));
      kept.push(Buffer.alloc(1024, 1));
    }
    freed = null;
    // V8 frees a buffer's memory after the collection that found it dead, off the script's turn (Node 24.21: none
    // freed by one synchronous gc()), so collect and yield a few times before measuring.
    (async () => {
      for (let round = 0; round < 5; round++) {
        global.gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const held = rssMb();
      native.trimNativeHeap();
      console.log(JSON.stringify({ held, trimmed: rssMb(), kept: kept.length }));
    })();`;
  const { held, trimmed } = JSON.parse(
    execFileSync(process.execPath, ["--expose-gc", "-e", script], { encoding: "utf8" }),
  );
  // Measured on Linux (glibc 2.36): about 160 MB given back; half of it leaves room for other allocators' layouts.
  expect(held - trimmed).toBeGreaterThan(80);
});
