/**
 * plugboard's SHA-256 (a WebAssembly module for small inputs, node:crypto
 * for large ones) gives node:crypto's digest at every padding boundary and
 * across the switch, and its module is built from the committed source.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SOURCE_SHA256 } from "../../src/file/_sha256_wasm.ts";
import {
  NATIVE_FROM,
  sha256Hex,
  sha256HexAsync,
  sha256Text,
  WASM_FROM,
} from "../../src/file/sha256.ts";

const reference = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

Deno.test("sha256Hex() agrees with node:crypto at every length that matters", async (t) => {
  await t.step("the FIPS 180-4 examples", () => {
    assert.equal(
      sha256Text(""),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(
      sha256Text("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      sha256Text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });
  await t.step(
    "plain JavaScript, before the module is set up: every length below WASM_FROM",
    () => {
      // Run first in this process: small inputs go to the JavaScript hasher
      // until the WebAssembly one exists.
      for (let n = 0; n < WASM_FROM; n += n < 300 ? 1 : 97) {
        const b = bytes(n, n + 1);
        assert.equal(sha256Hex(b), reference(b), `${n} bytes`);
      }
    },
  );
  await t.step("Web Crypto, for the asynchronous path", async () => {
    for (const n of [0, 55, 56, 64, 1000, 70_000]) {
      const b = bytes(n, n + 2);
      assert.equal(await sha256HexAsync(b), reference(b), `${n} bytes`);
    }
  });
  await t.step("0 to 300 bytes (every padding case), then chunk edges", () => {
    const lengths = [
      ...Array.from({ length: 301 }, (_, i) => i),
      65535,
      65536,
      65537,
      65536 * 3 + 63,
      1_000_003,
    ];
    for (const n of lengths) {
      const b = bytes(n, n);
      assert.equal(sha256Hex(b), reference(b), `${n} bytes`);
    }
  });
  await t.step("a view into a larger buffer hashes only its bytes", () => {
    const whole = bytes(5000, 7);
    const view = whole.subarray(123, 4321);
    assert.equal(sha256Hex(view), reference(view));
  });
  await t.step("from NATIVE_FROM on (node:crypto), and small inputs after it", () => {
    for (const n of [NATIVE_FROM - 1, NATIVE_FROM, NATIVE_FROM + 1]) {
      const b = bytes(n, 3);
      assert.equal(sha256Hex(b), reference(b), `${n} bytes`);
    }
    const small = bytes(100, 9);
    assert.equal(sha256Hex(small), reference(small));
  });
});

Deno.test("src/file/_sha256_wasm.ts is built from tasks/sha256/sha256.c", async () => {
  const source = await Deno.readFile(new URL("../../tasks/sha256/sha256.c", import.meta.url));
  assert.equal(
    SOURCE_SHA256,
    reference(source),
    "the module is stale: run `deno task sha256:wasm` (needs Debian's clang and lld)",
  );
});
