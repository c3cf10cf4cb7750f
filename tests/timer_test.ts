import { assert, assertEquals } from "./_assert.ts";
import {
  OperationDeadline,
  startInterval,
  startTimer,
} from "../protocols/_timer.ts";
import { evalAlone } from "./_eval.ts";

function later(ms: number): Promise<void> {
  return new Promise((resolve) => startTimer(ms, resolve));
}

Deno.test("startTimer() fires due timers in deadline order and never a cancelled one", async () => {
  const fired: string[] = [];
  startTimer(40, () => fired.push("40"));
  const cancel = startTimer(10, () => fired.push("cancelled"));
  startTimer(20, () => fired.push("20"));
  startTimer(0, () => fired.push("0"));
  cancel();
  cancel();
  await later(80);
  assertEquals(fired, ["0", "20", "40"]);
});

Deno.test("startTimer() keeps firing after every timer was cancelled once", async () => {
  for (let i = 0; i < 1000; i++) startTimer(30_000, () => {})();
  let fired = false;
  const start = performance.now();
  startTimer(15, () => fired = true);
  await later(30);
  assert(fired);
  assert(performance.now() - start >= 13, "not (much) before its time");
});

Deno.test("startTimer() reports an error thrown by one timer and still runs the others", async () => {
  const errors: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    errors.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    let ran = false;
    startTimer(5, () => {
      throw new Error("boom");
    });
    startTimer(5, () => ran = true);
    await later(25);
    assert(ran);
    assertEquals(errors.length, 1);
    assertEquals((errors[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("startInterval() repeats until stopped", async () => {
  let ticks = 0;
  const stop = startInterval(5, () => {
    if (++ticks === 3) stop();
  });
  await later(100);
  assertEquals(ticks, 3);
});

Deno.test("a cancelled timer does not keep the process alive", async () => {
  const code = `
    import { startTimer } from ${
    JSON.stringify(new URL("../protocols/_timer.ts", import.meta.url).href)
  };
    const cancel = startTimer(60_000, () => console.log("fired"));
    cancel();
    startTimer(1, () => console.log("done"));
  `;
  const { code: exit, signal, stdout } = await evalAlone(code);
  assertEquals(signal, null, "the process ended on its own");
  assertEquals(exit, 0);
  assertEquals(stdout, "done");
});

Deno.test("OperationDeadline expires an operation still pending at its deadline, across slices", async () => {
  const expired: [string, number][] = [];
  const deadline = new OperationDeadline(
    (op, ms) => expired.push([op, ms]),
    10,
  );
  deadline.begin("quick", 40);
  await later(5);
  deadline.end();
  deadline.begin("slow", 40);
  await later(70);
  assertEquals(expired, [["slow", 40]], "armed in 10 ms slices, once");
  deadline.end();
  deadline.begin("unlimited", 0);
  await later(30);
  deadline.end();
  deadline.stop();
  assertEquals(expired.length, 1);
});
