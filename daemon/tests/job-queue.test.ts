// The job queue's order when a job must first wait for something (its model's load): the jobs behind it run
// meanwhile, it runs once ready, and a failed or cancelled wait ends it without running it.
import { JobQueue } from "../src/service/job-queue";

/** A promise with its settling functions, for a wait the test ends when it chooses. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

test("a job waiting for its model lets the jobs behind it run, then runs once ready", async () => {
  const queue = new JobQueue();
  const ran: string[] = [];
  const model = deferred();
  const job = (id: string, prepare?: () => Promise<void>) =>
    queue.enqueue({ id, priority: "batch", prepare, run: async () => void ran.push(id) }).finished;

  const waiting = job("wants-new-model", () => model.promise);
  const others = [job("plain-1"), job("plain-2")];
  await Promise.all(others);
  expect(ran).toEqual(["plain-1", "plain-2"]);
  expect(queue.waitingCount).toBe(1);

  model.resolve();
  await waiting;
  expect(ran).toEqual(["plain-1", "plain-2", "wants-new-model"]);
});

test("a job whose wait fails ends with that failure and never runs", async () => {
  const queue = new JobQueue();
  let ran = false;
  const model = deferred();
  const { finished } = queue.enqueue({
    id: "job",
    priority: "batch",
    prepare: () => model.promise,
    run: async () => void (ran = true),
  });
  model.reject(new Error("the model could not load"));
  await expect(finished).rejects.toThrow("the model could not load");
  expect(ran).toBe(false);
  expect(queue.waitingCount).toBe(0);
});

test("a job cancelled while it waits aborts its wait and never runs", async () => {
  const queue = new JobQueue();
  let ran = false;
  let waitAborted = false;
  const { finished } = queue.enqueue({
    id: "job",
    priority: "batch",
    prepare: (signal) =>
      new Promise<void>((_, reject) =>
        signal.addEventListener("abort", () => {
          waitAborted = true;
          reject(signal.reason);
        }),
      ),
    run: async () => void (ran = true),
  });
  await settled();
  expect(queue.cancel("job", new Error("cancelled by the client"))).toBe(true);
  await expect(finished).rejects.toThrow("cancelled by the client");
  await settled();
  expect(waitAborted).toBe(true);
  expect(ran).toBe(false);
});

test("the queue says it has drained once its last job ends, not while another job runs or waits for its model", async () => {
  const drains: string[][] = [];
  const ran: string[] = [];
  const queue = new JobQueue(() => drains.push([...ran]));
  const model = deferred();
  const job = (id: string, prepare?: () => Promise<void>) =>
    queue.enqueue({ id, priority: "batch", prepare, run: async () => void ran.push(id) }).finished;

  await Promise.all([job("first"), job("second")]);
  await settled();
  expect(drains).toEqual([["first", "second"]]);

  const waiting = job("wants-new-model", () => model.promise);
  await job("third");
  await settled();
  expect(drains).toEqual([["first", "second"]]); // a job still waits for its model

  model.resolve();
  await waiting;
  await settled();
  expect(drains).toEqual([
    ["first", "second"],
    ["first", "second", "third", "wants-new-model"],
  ]);
});
