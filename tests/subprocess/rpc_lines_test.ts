/**
 * LineBuffer: lines split in linear time with a cap, however the chunks
 * fall; Fairness yields only after a busy slice.
 */
import assert from "node:assert/strict";
import { Fairness, LineBuffer } from "../../src/isolate/_rpc_lines.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function split(chunks: string[], max = 100, overlong: "error" | "split" = "error") {
  const lb = new LineBuffer(max, overlong);
  const lines: string[] = [];
  const results = chunks.map((c) => lb.push(enc(c), (l) => void lines.push(dec(l))));
  const rest = lb.rest();
  return { lines, results, rest: rest && dec(rest) };
}

Deno.test("LineBuffer splits lines however the chunks fall", async (t) => {
  const text = 'a\n{"id":1}\r\n\nlast line\nunfinished';
  const expected = ["a", '{"id":1}', "", "last line"];
  await t.step("one chunk", () => {
    const r = split([text]);
    assert.deepEqual(r.lines, expected);
    assert.equal(r.rest, "unfinished");
  });
  await t.step("every split point, in two chunks", () => {
    for (let i = 0; i <= text.length; i++) {
      const r = split([text.slice(0, i), text.slice(i)]);
      assert.deepEqual(r.lines, expected, `split at ${i}`);
      assert.equal(r.rest, "unfinished");
    }
  });
  await t.step("one byte per chunk (a \\r\\n across chunks too)", () => {
    const r = split([...text]);
    assert.deepEqual(r.lines, expected);
  });
  await t.step("onLine returning false stops", () => {
    const lb = new LineBuffer(100);
    const seen: string[] = [];
    assert.equal(lb.push(enc("a\nb\nc\n"), (l) => (seen.push(dec(l)), seen.length < 2)), "stopped");
    assert.deepEqual(seen, ["a", "b"]);
  });
});

Deno.test("LineBuffer refuses a line over the cap before its newline arrives", async (t) => {
  await t.step("at the cap is fine, one more byte is not", () => {
    assert.deepEqual(split(["x".repeat(10) + "\n"], 10).lines, ["x".repeat(10)]);
    assert.deepEqual(split(["x".repeat(11) + "\n"], 10).results, ["overflow"]);
  });
  await t.step("across chunks, without any newline", () => {
    const lb = new LineBuffer(1000);
    let result = "ok";
    let pushed = 0;
    while (result === "ok") {
      result = lb.push(new Uint8Array(64).fill(120), () => {});
      pushed += 64;
      assert.ok(lb.pending <= 1000, "holds no more than the cap");
    }
    assert.equal(result, "overflow");
    assert.equal(pushed, 1024);
  });
  await t.step("split mode delivers pieces of the cap", () => {
    const r = split(["abcdefghij", "klm\nn"], 4, "split");
    assert.deepEqual(r.lines, ["abcd", "efgh", "ijkl", "m"]);
    assert.equal(r.rest, "n");
  });
});

Deno.test("LineBuffer is linear: 64 MiB without a newline, in 64 KiB chunks", () => {
  const lb = new LineBuffer(128 * 2 ** 20);
  const chunk = new Uint8Array(65536).fill(97);
  const start = performance.now();
  for (let i = 0; i < 1024; i++) assert.equal(lb.push(chunk, () => {}), "ok");
  let line = 0;
  lb.push(enc("\n"), (l) => void (line = l.length));
  const took = performance.now() - start;
  assert.equal(line, 64 * 2 ** 20);
  // Quadratic re-splitting took seconds for far less; one copy takes tens of ms.
  assert.ok(took < 2000, `took ${took} ms`);
});

Deno.test("Fairness yields only after a busy slice", async () => {
  const f = new Fairness(20);
  assert.equal(f.turn(), undefined);
  const until = performance.now() + 25;
  while (performance.now() < until) { /* busy */ }
  let fired = false;
  setTimeout(() => fired = true, 0);
  const turn = f.turn();
  assert.ok(turn instanceof Promise);
  await turn;
  assert.equal(fired, true, "a timer due meanwhile ran");
  assert.equal(f.turn(), undefined, "a new slice starts");
});
