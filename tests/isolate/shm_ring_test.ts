/**
 * The shared-memory rings of the isolation transport, both sides in this
 * process (the child's side maps the host's memfd through /proc/self/fd):
 * frames cross intact and in order across the end of a ring, large frames
 * cross in pieces while the reader makes room, a full ring refuses more
 * until the reader gives bytes back, and positions or lengths that cannot
 * be are refused with RingError instead of being read.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  PART_BYTES,
  PartAssembler,
  peekChildExit,
  RING_BYTES,
  RING_MAX_FRAME,
  RingError,
  RingKind,
  SHM_BYTES,
  ShmChannel,
} from "../../src/isolate/_shm.ts";
import { HEADER_SIZE } from "../../src/isolate/_protocol.ts";

/** A frame of `n` payload bytes whose contents depend on its id. */
function frame(id: number, n: number): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE + n);
  const v = new DataView(b.buffer);
  v.setUint32(0, n, true);
  v.setUint32(4, id, true);
  b[8] = 3;
  for (let i = 0; i < n; i++) b[HEADER_SIZE + i] = (i * 7 + id) & 255;
  return b;
}

/** Host and child sides of one mapping, released at the end. */
function pair(): { host: ShmChannel; child: ShmChannel; [Symbol.dispose](): void } {
  const host = ShmChannel.create();
  const child = ShmChannel.attach(host.path);
  host.attached();
  return {
    host,
    child,
    [Symbol.dispose]() {
      child.release();
      host.release();
    },
  };
}

/** Send `f` from `host` to `child` (in pieces when large), reading as it goes. */
function send(host: ShmChannel, child: ShmChannel, f: Uint8Array, id: number): Uint8Array {
  const parts = new PartAssembler();
  let sent = 0;
  let got: Uint8Array | undefined;
  for (let round = 0; got === undefined; round++) {
    assert.ok(round < 1000, `no progress after ${sent} bytes`);
    if (f.length <= RING_MAX_FRAME) {
      if (sent === 0 && host.put(f, 0, f.length)) sent = f.length;
    } else {
      while (sent < f.length) {
        const n = Math.min(PART_BYTES, f.length - sent);
        if (!host.putPart(id, f, sent, n)) break;
        sent += n;
      }
    }
    host.publish();
    for (let x = child.peek(); x; x = child.peek()) {
      if (x.kind === RingKind.PART) {
        const whole = parts.add(x.id, child.bytes, x.at, x.len, 1 << 30);
        if (whole) got = whole.slice();
      } else {
        got = child.bytes.slice(x.at - HEADER_SIZE, x.at + x.len);
      }
      child.advance();
    }
    child.consumed();
  }
  return got;
}

Deno.test("ShmChannel carries frames intact and in order, across the end of the ring and in pieces", async (t) => {
  using p = pair();
  const sizes = [0, 1, 7, 8, 1000, 16_000, RING_MAX_FRAME - HEADER_SIZE, 16_400, 20_000];
  sizes.push(70_000, 200_000, 5, 1 << 20, 3);
  let id = 1;
  for (const n of sizes) {
    await t.step(`${n} bytes`, () => {
      const f = frame(id, n);
      const got = send(p.host, p.child, f, id);
      assert.equal(got.length, f.length);
      assert.ok(got.every((b, i) => b === f[i]), "the bytes differ");
      id++;
    });
  }
  await t.step("many small frames wrap around the ring many times", () => {
    for (let k = 0; k < 5000; k++) {
      const f = frame(k, (k * 37) % 300);
      assert.deepEqual(send(p.host, p.child, f, k), f);
    }
  });
});

Deno.test("ShmChannel refuses frames while the ring is full, until the reader gives bytes back", () => {
  using p = pair();
  const f = frame(1, RING_MAX_FRAME - HEADER_SIZE);
  let n = 0;
  while (p.host.put(f, 0, f.length)) n++;
  assert.equal(n, RING_BYTES / RING_MAX_FRAME);
  p.host.publish();
  assert.equal(p.child.hasInput(), true);
  assert.equal(p.child.peek()?.len, RING_MAX_FRAME - HEADER_SIZE);
  p.child.advance();
  // Read, not yet given back: still full.
  assert.equal(p.host.put(f, 0, f.length), false);
  p.child.consumed();
  assert.equal(p.host.put(f, 0, f.length), true);
});

Deno.test("ShmChannel refuses positions and lengths that cannot be", async (t) => {
  const words = (ch: ShmChannel) => new Int32Array(ch.bytes.buffer, 0, 64);
  const cases: [string, (host: ShmChannel, child: ShmChannel) => void, string][] = [
    [
      "a reply head more than a ring ahead",
      (host) => {
        words(host)[33] = RING_BYTES + 8;
      },
      "the shared ring holds a head 65544 bytes ahead of the tail",
    ],
    [
      "a reply head off the 8-byte grid",
      (host) => {
        words(host)[33] = 12;
      },
      "the shared ring holds a head 12 bytes ahead of the tail",
    ],
    [
      "a frame longer than what was published",
      (_host, child) => {
        const at = child.room(16);
        child.view.setUint32(at, 4000, true);
        child.commit(16);
        child.publish();
      },
      "the shared ring holds a frame of 4000 bytes where 16 are left",
    ],
  ];
  for (const [name, corrupt, message] of cases) {
    await t.step(name, () => {
      using p = pair();
      corrupt(p.host, p.child);
      assert.throws(
        () => p.host.peek(),
        (e: unknown) => e instanceof RingError && e.message === message,
      );
    });
  }
  await t.step("a request tail more than a ring behind the head", () => {
    using p = pair();
    words(p.host)[32] = -(RING_BYTES + 8);
    assert.throws(
      () => p.host.room(16),
      (e: unknown) =>
        e instanceof RingError &&
        e.message === "the shared ring holds a tail 65544 bytes behind the head",
    );
  });
});

Deno.test("PartAssembler puts frames back together and refuses pieces that do not belong", async (t) => {
  const f = frame(9, 40);
  await t.step("in three pieces", () => {
    const a = new PartAssembler();
    assert.equal(a.add(9, f, 0, 5, 1000), undefined);
    assert.equal(a.add(9, f, 5, 20, 1000), undefined);
    assert.deepEqual(a.add(9, f, 25, f.length - 25, 1000), f);
  });
  const cases: [string, (a: PartAssembler) => void, string][] = [
    ["a piece of another frame", (a) => {
      a.add(9, f, 0, 10, 1000);
      a.add(8, f, 10, 10, 1000);
    }, "the shared ring holds a piece of frame 8 inside frame 9"],
    ["a frame larger than allowed", (a) => {
      a.add(9, f, 0, 20, 30);
    }, "the shared ring holds a frame of 49 bytes"],
    ["pieces longer than their frame", (a) => {
      a.add(9, f, 0, 20, 1000);
      a.add(9, new Uint8Array(40), 0, 40, 1000);
    }, "the shared ring holds pieces longer than their frame"],
    ["pieces that hold another id", (a) => {
      a.add(7, f, 0, f.length, 1000);
    }, "the shared ring holds pieces of frame 7 holding frame 9"],
  ];
  for (const [name, run, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => run(new PartAssembler()),
        (e: unknown) => e instanceof RingError && e.message === message,
      );
    });
  }
});

Deno.test("ShmChannel.attach() refuses what is not a plugboard mapping", async (t) => {
  await t.step("a missing descriptor", () => {
    assert.throws(
      () => ShmChannel.attach("/proc/self/fd/987654"),
      (e: unknown) =>
        e instanceof Error &&
        e.message ===
          "cannot open /proc/self/fd/987654: No such file or directory (errno 2)",
    );
  });
  await t.step("a file of the right size without the magic word", () => {
    const path = Deno.makeTempFileSync();
    try {
      Deno.truncateSync(path, SHM_BYTES);
      assert.throws(
        () => ShmChannel.attach(path),
        (e: unknown) =>
          e instanceof Error &&
          e.message === `${path} is not a plugboard mapping of layout 1: magic 0, layout 0, ring 0`,
      );
    } finally {
      Deno.removeSync(path);
    }
  });
});

Deno.test("peekChildExit() tells how a child ended without reaping it", async () => {
  const child = new Deno.Command("sh", { args: ["-c", "kill -SEGV $$"] }).spawn();
  let seen = peekChildExit(child.pid);
  for (let i = 0; i < 200 && seen === null; i++) {
    await new Promise((r) => setTimeout(r, 10));
    seen = peekChildExit(child.pid);
  }
  // Deno may have reaped it meanwhile; if not, it still can.
  if (seen !== "gone") {
    assert.deepEqual(seen, { exitCode: null, signal: "SIGSEGV", signalNumber: 11 });
  }
  assert.equal((await child.status).signal, "SIGSEGV");
  assert.equal(peekChildExit(child.pid), "gone");
});
