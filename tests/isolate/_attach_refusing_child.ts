/**
 * A stand-in isolation child that speaks the pipe protocol but cannot map
 * shared memory: it shakes hands, answers ATTACH with an error, LOAD with
 * OK, and SHUTDOWN with OK before exiting. For the transport fallback tests.
 *
 * Usage: deno run _attach_refusing_child.ts
 *
 * @module
 */

import {
  errorToData,
  FrameWriter,
  HANDSHAKE_PREFIX,
  HEADER_SIZE,
  Kind,
} from "../../src/isolate/_protocol.ts";

const out = new FrameWriter();
const stdout = Deno.stdout.writable.getWriter();
await stdout.write(new TextEncoder().encode(`${HANDSHAKE_PREFIX}1|${Deno.pid}\n`));
const reader = Deno.stdin.readable.getReader();
let buf = new Uint8Array(0);
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  const more = new Uint8Array(buf.length + value.length);
  more.set(buf);
  more.set(value, buf.length);
  buf = more;
  const view = new DataView(buf.buffer);
  let pos = 0;
  while (
    buf.length - pos >= HEADER_SIZE && buf.length - pos >= HEADER_SIZE + view.getUint32(pos, true)
  ) {
    const id = view.getUint32(pos + 4, true);
    const kind = buf[pos + 8];
    pos += HEADER_SIZE + view.getUint32(pos, true);
    if (kind === Kind.ATTACH) {
      out.json(
        id,
        Kind.ERROR,
        errorToData(new Error("cannot open the memfd: refused by the test")),
      );
    } else {
      out.end(out.begin(id, Kind.OK));
    }
    await stdout.write(out.take());
    if (kind === Kind.SHUTDOWN) Deno.exit(0);
  }
  buf = buf.slice(pos);
}
