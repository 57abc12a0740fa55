/**
 * `plugboard keygen` and `plugboard sign`: real keys, the files and modes
 * they write, what they refuse, and signatures of a native plugin and a
 * subprocess plugin that hosts accept.
 */
import { assert, assertEquals } from "../_assert.ts";
import { inspectPlugin } from "../../mod.ts";
import {
  parseSignatureFile,
  publicKeyOf,
  signatureProblem,
  signPlugin,
} from "../../src/registry/signature.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";
import { cli, cliProcess, copyInto, exists, keygen, modeOf, tempDir } from "./_signing.ts";

Deno.test("plugboard keygen writes a private key (0600) and its .pub, and overwrites nothing", async (t) => {
  const dir = tempDir();
  const key = `${dir}/acme.key`;
  const pub = `${key}.pub`;

  await t.step("a new key: both files, the public key and its id printed", async () => {
    const r = await cli("keygen", "--out", key);
    const { key: text, id } = publicKeyOf(Deno.readTextFileSync(pub));
    assertEquals(r, {
      code: 0,
      out: [
        `public key ${text}`,
        `key id     ${id}`,
        `wrote      ${key} (private, mode 0600: keep it secret) and ${pub}`,
        `sign with  plugboard sign FILE --key ${key}`,
        `trust with plugboard trust --publisher ${pub} --for "NAME@RANGE"`,
      ],
      err: [],
    });
    assertEquals([modeOf(key), modeOf(pub)], [0o600, 0o644]);
    assertEquals(Deno.readTextFileSync(pub), `${text}\n`);
    const pem = Deno.readTextFileSync(key);
    assertEquals(
      [
        pem.startsWith("-----BEGIN PRIVATE KEY-----\n"),
        pem.endsWith("-----END PRIVATE KEY-----\n"),
      ],
      [true, true],
    );
    // The two files are one key: what the private key signs names the public one.
    const sig = signPlugin(inspectPlugin(plugin("greeter")), pem);
    assertEquals([sig.key, sig.keyId], [text, id]);
    // No temporary file is left behind.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "acme.key",
      "acme.key.pub",
    ]);
  });

  await t.step("again: refused, exit 2, both files unchanged", async () => {
    const before = [Deno.readTextFileSync(key), Deno.readTextFileSync(pub)];
    assertEquals(await cli("keygen", "--out", key), {
      code: 2,
      out: [],
      err: [
        `error[USAGE]: Cannot write key file "${key}": expected no file there, found one`,
        "hint: a key that is replaced cannot sign again: name another --out, or pass --force to replace it",
      ],
    });
    assertEquals([Deno.readTextFileSync(key), Deno.readTextFileSync(pub)], before);
  });

  await t.step("only KEY.pub there: refused too, naming it", async () => {
    const other = `${dir}/other.key`;
    Deno.writeTextFileSync(`${other}.pub`, "keep me\n");
    assertEquals(
      (await cli("keygen", "--out", other)).err[0],
      `error[USAGE]: Cannot write key file "${other}.pub": expected no file there, found one`,
    );
    assertEquals([exists(other), Deno.readTextFileSync(`${other}.pub`)], [false, "keep me\n"]);
  });

  await t.step(
    "--force replaces both, and the private key is 0600 even if the old one was not",
    async () => {
      const before = Deno.readTextFileSync(pub);
      Deno.chmodSync(key, 0o644);
      const r = await cli("keygen", "--out", key, "--force");
      const { key: text, id } = publicKeyOf(Deno.readTextFileSync(pub));
      assertEquals(r.out.slice(0, 3), [
        `public key ${text}`,
        `key id     ${id}`,
        `replaced   ${key} (private, mode 0600: keep it secret) and ${pub}`,
      ]);
      assert(text + "\n" !== before, "a new key");
      assertEquals([modeOf(key), modeOf(pub)], [0o600, 0o644]);
    },
  );

  await t.step("--json", async () => {
    const k = `${dir}/json.key`;
    const r = await cli("keygen", "--out", k, "--json");
    const { key: text, id } = publicKeyOf(Deno.readTextFileSync(`${k}.pub`));
    assertEquals(r, {
      code: 0,
      out: [JSON.stringify({ key: text, id, privateKey: k, publicKey: `${k}.pub` })],
      err: [],
    });
  });

  await t.step("a missing directory: NOT_FOUND, nothing written", async () => {
    const k = `${dir}/no/such/dir/x.key`;
    assertEquals(await cli("keygen", "--out", k), {
      code: 1,
      out: [],
      err: [
        `error[NOT_FOUND]: Cannot write "${k}": no such directory: expected an existing directory, found nothing at ${dir}/no/such/dir`,
        `hint: create the directory first (mkdir -p ${dir}/no/such/dir), or write the file elsewhere`,
      ],
    });
  });

  const usage = (message: string) => ({
    code: 2,
    out: [],
    err: [`error[USAGE]: ${message}`, "hint: see plugboard keygen --help"],
  });
  await t.step("--out naming a .pub file: usage error", async () => {
    assertEquals(
      await cli("keygen", "--out", `${dir}/acme.pub`),
      usage(
        `--out "${dir}/acme.pub" ends in .pub: --out names the private key, and its public half goes beside it as KEY.pub`,
      ),
    );
  });
  await t.step("a positional: usage error", async () => {
    assertEquals(
      await cli("keygen", "acme"),
      usage('keygen takes no "acme": name the key file with --out KEY'),
    );
  });
});

Deno.test("plugboard keygen without --out writes under XDG_CONFIG_HOME, or needs --out", async (t) => {
  const dir = tempDir();
  await t.step("the default place, its directory made 0700", async () => {
    const r = await cliProcess(["keygen"], { env: { XDG_CONFIG_HOME: `${dir}/xdg` } });
    const key = `${dir}/xdg/plugboard/signing.key`;
    const { key: text, id } = publicKeyOf(Deno.readTextFileSync(`${key}.pub`));
    assertEquals(r, {
      code: 0,
      out: [
        `public key ${text}`,
        `key id     ${id}`,
        `wrote      ${key} (private, mode 0600: keep it secret) and ${key}.pub`,
        `sign with  plugboard sign FILE --key ${key}`,
        `trust with plugboard trust --publisher ${key}.pub --for "NAME@RANGE"`,
      ],
      err: [],
    });
    assertEquals([modeOf(`${dir}/xdg/plugboard`), modeOf(key)], [0o700, 0o600]);
  });
  await t.step("else under HOME", async () => {
    const r = await cliProcess(["keygen", "--json"], { env: { HOME: `${dir}/home` } });
    Deno.mkdirSync(`${dir}/home`, { recursive: true });
    assertEquals(
      JSON.parse(r.out[0]).privateKey,
      `${dir}/home/.config/plugboard/signing.key`,
    );
  });
  await t.step("without --allow-env: a usage error naming the flag", async () => {
    const r = await cliProcess(["keygen"], {
      flags: [`--allow-read=${dir}`, `--allow-write=${dir}`],
      env: { HOME: `${dir}/home2` },
    });
    assertEquals(r, {
      code: 2,
      out: [],
      err: [
        "error[USAGE]: keygen needs --out KEY: the default place needs HOME or XDG_CONFIG_HOME (--allow-env=HOME,XDG_CONFIG_HOME)",
        "hint: see plugboard keygen --help",
      ],
    });
  });
  await t.step("with exactly the permissions its help names", async () => {
    const r = await cliProcess(["keygen", "--out", `${dir}/p.key`], {
      flags: [`--allow-read=${dir}`, `--allow-write=${dir}`],
    });
    assertEquals([r.code, r.err, modeOf(`${dir}/p.key`)], [0, [], 0o600]);
  });
});

Deno.test("plugboard sign writes FILE.sig over the plugin's hash and identity", async (t) => {
  const dir = tempDir();
  const acme = await keygen(dir, "acme");
  const greeter = copyInto(plugin("greeter"), dir, "greeter.so");
  const identity = inspectPlugin(greeter);

  await t.step("one line: what was signed, with which key, where the signature is", async () => {
    assertEquals(await cli("sign", greeter, "--key", acme.path), {
      code: 0,
      out: [
        `signed greeter@0.1.0 (sha256 ${
          identity.sha256.slice(0, 12)
        }…) with key ${acme.id}: wrote ${greeter}.sig`,
      ],
      err: [],
    });
    const sig = parseSignatureFile(Deno.readTextFileSync(`${greeter}.sig`), `${greeter}.sig`);
    assertEquals([sig.keyId, sig.key, sig.signed.sha256, sig.signed.kind], [
      acme.id,
      acme.key,
      identity.sha256,
      "native",
    ]);
    assertEquals(signatureProblem(sig, identity), undefined);
    assertEquals(modeOf(`${greeter}.sig`), 0o644);
  });

  await t.step("--out and --json", async () => {
    const out = `${dir}/elsewhere.sig`;
    assertEquals(await cli("sign", greeter, "--key", acme.path, "--out", out, "--json"), {
      code: 0,
      out: [JSON.stringify({
        path: greeter,
        signature: out,
        plugin: "greeter@0.1.0",
        kind: "native",
        sha256: identity.sha256,
        key: acme.key,
        keyId: acme.id,
      })],
      err: [],
    });
    assertEquals(Deno.readTextFileSync(out), Deno.readTextFileSync(`${greeter}.sig`));
  });

  await t.step("a key others can read: signed, with a warning", async () => {
    const loose = copyInto(acme.path, dir, "loose.key");
    const r = await cli("sign", greeter, "--key", loose);
    assertEquals([r.code, r.err], [0, [
      `warning: signing key ${loose} can be read by others (mode 0644): chmod 600 ${loose}`,
    ]]);
  });

  const refused: [string, string[], number, string[]][] = [
    [
      "the public key instead of the private one",
      [greeter, "--key", acme.pub],
      1,
      [
        `error[BAD_SIGNATURE]: Invalid signing key "${acme.pub}": expected an Ed25519 private key in PKCS#8 PEM, found a public key`,
        "hint: sign with the private key: KEY, not KEY.pub",
      ],
    ],
    [
      "a key file that is no key",
      [greeter, "--key", `${ROOT}/LICENSE`],
      1,
      [
        `error[BAD_SIGNATURE]: Invalid signing key "${ROOT}/LICENSE": expected an Ed25519 private key in PKCS#8 PEM, found another text`,
        "hint: use the private key file `plugboard keygen` wrote",
      ],
    ],
    [
      "a missing key file",
      [greeter, "--key", `${dir}/none.key`],
      1,
      [
        `error[NOT_FOUND]: Cannot read signing key "${dir}/none.key": no such file: expected a private key file, found nothing at ${dir}/none.key`,
        `hint: make one with \`plugboard keygen --out ${dir}/none.key\``,
      ],
    ],
    [
      "not a plugin",
      [fixture("plain"), "--key", acme.path],
      1,
      [
        `error[NOT_A_PLUGIN]: Cannot load plugin "${
          fixture("plain")
        }": no plugboard metadata: expected a ".note.plugboard" note written by PLUGBOARD_PLUGIN(...), found an ordinary shared library (1 exported symbol, no plugboard note)`,
        "hint: declare the plugin with PLUGBOARD_PLUGIN(name, version) from plugboard.h (docs/abi.md for other languages); to call an ordinary library, use openLibrary() with declared signatures",
      ],
    ],
    [
      "without --key",
      [greeter],
      2,
      [
        "error[USAGE]: sign needs --key KEY, the private key `plugboard keygen` wrote",
        "hint: see plugboard sign --help",
      ],
    ],
    [
      "two files",
      [greeter, greeter, "--key", acme.path],
      2,
      ["error[USAGE]: sign takes one FILE, got 2", "hint: see plugboard sign --help"],
    ],
  ];
  for (const [name, args, code, err] of refused) {
    await t.step(`refused: ${name}`, async () => {
      const before = Deno.readTextFileSync(`${greeter}.sig`);
      assertEquals(await cli("sign", ...args), { code, out: [], err });
      assertEquals(Deno.readTextFileSync(`${greeter}.sig`), before);
    });
  }
});

Deno.test("plugboard sign: a subprocess plugin, accepted by a lockfile trusting the key", async (t) => {
  const dir = tempDir();
  const acme = await keygen(dir, "acme");
  const lock = `${dir}/plugboard.lock`;
  assertEquals(
    (await cli(
      "trust",
      "--publisher",
      acme.pub,
      "--for",
      "calc-*@^0.1",
      "--for",
      "greeter@^0.1",
      "--lock",
      lock,
    )).code,
    0,
  );

  await t.step("an executable with its sidecar (named by the program or the sidecar)", async () => {
    const program = copyInto(`${ROOT}/plugins/rpc/calc_sub.sh`, dir, "calc_sub.sh");
    Deno.chmodSync(program, 0o755);
    copyInto(`${ROOT}/plugins/rpc/calc_sub.sh.plugboard.json`, dir, "calc_sub.sh.plugboard.json");
    const id = inspectPlugin(program);
    const line = `signed calc-sub-bash@0.1.0 (sha256 ${
      id.sha256.slice(0, 12)
    }…) with key ${acme.id}: wrote ${program}.sig`;
    assertEquals((await cli("sign", program, "--key", acme.path)).out, [line]);
    assertEquals(
      (await cli("sign", `${program}.plugboard.json`, "--key", acme.path)).out,
      [line],
    );
    assertEquals(exists(`${program}.plugboard.json.sig`), false);
    assertEquals(
      parseSignatureFile(Deno.readTextFileSync(`${program}.sig`), "x").signed.kind,
      "executable",
    );
    assertEquals(await cli("call", program, "apply", "5", "3", "--lock", lock), {
      code: 0,
      out: ["2"],
      err: [],
    });
  });
});
