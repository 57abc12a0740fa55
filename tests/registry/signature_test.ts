/**
 * Publisher signatures: a lockfile that trusts a key for a name and a
 * version range accepts the plugins that key signed without pinning their
 * hashes, and refuses unsigned, foreign-signed, tampered and retired-key
 * ones with the reason; a retired key is not trusted again. Real keys, real
 * files.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { inspectPlugin, LoadError, openPlugin, PluginError } from "../../mod.ts";
import { readLockfile, Registry } from "../../src/registry/mod.ts";
import {
  formatSignature,
  generateSigningKey,
  parseSignatureFile,
  signPlugin,
} from "../../src/registry/signature.ts";
import { fixture, plugin } from "../_paths.ts";
import { copyInto, tamperedCopy, tempDir } from "./_helpers.ts";

const acme = generateSigningKey();
const mallory = generateSigningKey();

function signed(src: string, dir: string, name: string, key = acme): string {
  const path = copyInto(src, dir, name);
  Deno.writeTextFileSync(
    `${path}.sig`,
    formatSignature(signPlugin(inspectPlugin(path), key.privateKey)),
  );
  return path;
}

async function verdict(path: string, registry: Registry): Promise<[string, string, string] | "ok"> {
  try {
    await (await openPlugin(path, { registry })).close();
    return "ok";
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    return [e.code, e.expected, e.found];
  }
}

Deno.test("a publisher's key trusted for a range lets its signed builds load without hash pins", async (t) => {
  const dir = tempDir();
  const registry = new Registry([], { lockfile: `${dir}/plugboard.lock` });
  registry.trustPublisher(acme.key, ["greeter@^0.1"], { name: "acme" });
  const wanted =
    `a signature by key ${acme.id} (acme), which ${dir}/plugboard.lock trusts for greeter@0.1.0`;

  await t.step("signed by the trusted key: loads", async () => {
    assertEquals(await verdict(signed(plugin("greeter"), dir, "ok.so"), registry), "ok");
  });
  await t.step("unsigned: UNTRUSTED, naming the key expected", async () => {
    const path = copyInto(plugin("greeter"), dir, "unsigned.so");
    assertEquals(await verdict(path, registry), [
      "UNTRUSTED",
      wanted,
      `no signature file ${path}.sig`,
    ]);
  });
  await t.step(
    "signed by another key: UNTRUSTED (a valid signature nobody vouched for), naming both",
    async () => {
      assertEquals(await verdict(signed(plugin("greeter"), dir, "foreign.so", mallory), registry), [
        "UNTRUSTED",
        wanted,
        `a signature by key ${mallory.id}`,
      ]);
    },
  );
  await t.step("a byte of the signed file changed: BAD_SIGNATURE", async () => {
    const path = signed(plugin("greeter"), dir, "tampered.so");
    const sig = Deno.readTextFileSync(`${path}.sig`);
    tamperedCopy(plugin("greeter"), dir, "tampered.so");
    Deno.writeTextFileSync(`${path}.sig`, sig);
    const v = await verdict(path, registry);
    assertEquals(v !== "ok" && [v[0], /the file changed after it was signed$/.test(v[2])], [
      "BAD_SIGNATURE",
      true,
    ]);
  });
  await t.step("a signature file edited to claim another identity: BAD_SIGNATURE", async () => {
    const path = signed(plugin("greeter"), dir, "edited.so");
    const sig = JSON.parse(Deno.readTextFileSync(`${path}.sig`));
    sig.signed.version = "0.1.9";
    Deno.writeTextFileSync(`${path}.sig`, JSON.stringify(sig));
    const v = await verdict(path, registry);
    assertEquals(v !== "ok" && [v[0], v[2]], [
      "BAD_SIGNATURE",
      `a signature by key ${acme.id} (acme), but the signature does not verify with its key: the signature file was altered`,
    ]);
  });
  await t.step(
    "a version outside the trusted range: not the publisher's to vouch for",
    async () => {
      const path = signed(fixture("greeter_0_2_0"), dir, "v020.so");
      const v = await verdict(path, registry);
      assertEquals(v !== "ok" && v[0], "UNTRUSTED");
    },
  );
  await t.step(
    "hash pins win: an entry of its own is checked by hash even when signed",
    async () => {
      const pinned = new Registry([], { lockfile: `${dir}/pinned.lock` });
      pinned.trustPublisher(acme.key, ["greeter@^0.1"]);
      pinned.trust(inspectPlugin(copyInto(fixture("reg_greeter_rebuilt"), dir, "old.so")));
      const v = await verdict(signed(plugin("greeter"), dir, "pinned.so"), pinned);
      assertEquals(v !== "ok" && v[0], "BUILD_ID_MISMATCH");
    },
  );
});

Deno.test("a retired key's signatures are refused with the reason; another key takes over", async () => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const path = signed(plugin("greeter"), dir, "greeter.so");
  Registry.edit(lock, {}, (r) => {
    r.trustPublisher(acme.key, ["greet*"], { name: "acme" });
  });
  assertEquals(await verdict(path, Registry.fromLockfile(lock)), "ok");
  Registry.edit(lock, {}, (r) => {
    r.retirePublisher(acme.id.slice(0, 8), "the key leaked", "2026-11-30T00:00:00.000Z");
  });
  const retired = Registry.fromLockfile(lock);
  assertEquals(await verdict(path, retired), [
    "UNTRUSTED",
    `a signature by a key ${lock} trusts for greeter@0.1.0`,
    "its signature, by a key retired on 2026-11-30T00:00:00.000Z: the key leaked",
  ]);
  const next = generateSigningKey();
  Registry.edit(lock, {}, (r) => {
    r.trustPublisher(next.key, ["greeter@0.1.x"], { name: "acme-2026" });
  });
  assertEquals(
    await verdict(signed(plugin("greeter"), dir, "resigned.so", next), Registry.fromLockfile(lock)),
    "ok",
  );
  // A retired key stays retired: trusting it again is refused.
  const again = (() => {
    try {
      Registry.edit(lock, {}, (r) => r.trustPublisher(acme.key, ["greeter"]));
      return undefined;
    } catch (e) {
      return e instanceof PluginError ? [e.code, e.summary] : e;
    }
  })();
  assertEquals(again, [
    "USAGE",
    `Cannot trust key ${acme.id} (acme): expected a key that is not retired, found one retired on 2026-11-30T00:00:00.000Z: the key leaked`,
  ]);
  // The lockfile keeps both keys, the retired one with its reason.
  const publishers = readLockfile(lock).publishers!;
  assertEquals(publishers[acme.id].retired, {
    time: "2026-11-30T00:00:00.000Z",
    reason: "the key leaked",
  });
  assertEquals(publishers[next.id].trusts, ["greeter@0.1.x"]);
});

Deno.test("a signature file round-trips and names its key", () => {
  const sig = signPlugin(inspectPlugin(plugin("greeter")), acme.privateKey);
  assertEquals(parseSignatureFile(formatSignature(sig), "x.sig"), sig);
  assertEquals([sig.keyId, sig.signed.name, sig.signed.kind], [acme.id, "greeter", "native"]);
});
