/**
 * The file calls go through one bound `syscall` with buffers passed by
 * address (src/file/libc.ts): a temporary buffer must stay alive until the
 * kernel has read it, also when V8 collects garbage in between (a dead
 * temporary's memory is reused: 595 of 1,000 encoded paths got an address
 * an earlier one had, measured). The stress run cannot force a collection
 * into that window; the calls pin their buffers so none can happen there.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { errnoName, errnoOf, getFileCalls, O_CLOEXEC, O_RDONLY } from "../../src/file/libc.ts";
import { ROOT } from "../_paths.ts";

Deno.test("the syscall-backed calls open, read, stat and report errno", () => {
  const calls = getFileCalls()!;
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/f`, "hello");
  const fd = calls.open(new TextEncoder().encode(`${dir}/f\0`), O_RDONLY | O_CLOEXEC);
  assertEquals(fd >= 0, true);
  const buf = new Uint8Array(16);
  assertEquals(calls.read(fd, buf, 16n), 5);
  assertEquals(new TextDecoder().decode(buf.subarray(0, 5)), "hello");
  assertEquals(calls.close(fd), 0);
  assertEquals(calls.open(new TextEncoder().encode(`${dir}/missing\0`), O_RDONLY), -1);
  assertEquals(errnoName(errnoOf(calls)), "ENOENT");
  assertEquals(calls.close(fd), -1, "closed already");
  assertEquals(errnoName(errnoOf(calls)), "EBADF");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("temporary buffers stay valid through the calls while V8 collects garbage (2,000 rounds)", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/f`, "the file's exact text");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-ffi",
      "--v8-flags=--gc-interval=200,--expose-gc",
      `${ROOT}/tests/file/fixtures/syscall_gc.ts`,
      `${dir}/f`,
      "the file's exact text",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  Deno.removeSync(dir, { recursive: true });
  assertEquals(
    [out.code, new TextDecoder().decode(out.stdout).trim()],
    [0, "ok 2000"],
    new TextDecoder().decode(out.stderr),
  );
});
