/**
 * The publisher forms of `plugboard trust`: --publisher (a key as text or
 * .pub file, for names and ranges), --retire, --list-publishers (table and
 * JSON), and the grammar that keeps them apart from `trust FILE...`, with a
 * usage error naming the form each option belongs to.
 */
import { assertEquals } from "../_assert.ts";
import { plugin } from "../_paths.ts";
import { cli, copyInto, exists, keygen, tempDir } from "./_signing.ts";

const usage = (message: string) => ({
  code: 2,
  out: [],
  err: [`error[USAGE]: ${message}`, "hint: see plugboard trust --help"],
});

Deno.test("plugboard trust keeps its forms apart, and says which form an option belongs to", async (t) => {
  const cases: [string, string[], string][] = [
    [
      "nothing to do",
      [],
      "trust needs FILE|DIR... to pin plugins, or --publisher, --retire or --list-publishers for publisher keys",
    ],
    [
      "files and --publisher",
      ["x.so", "--publisher", "acme.pub", "--for", "x"],
      '`trust FILE|DIR...` (pins plugins by hash) (got FILE "x.so") and `trust --publisher KEY --for NAME@RANGE` (trusts a publisher\'s key) are two forms of trust: run them one at a time',
    ],
    [
      "--publisher and --retire",
      ["--publisher", "acme.pub", "--retire", "0123"],
      "`trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key) and `trust --retire KEY_ID --reason TEXT` (retires a key) are two forms of trust: run them one at a time",
    ],
    [
      "--retire and --list-publishers",
      ["--retire", "0123", "--reason", "r", "--list-publishers"],
      "`trust --retire KEY_ID --reason TEXT` (retires a key) and `trust --list-publishers` (lists the trusted keys) are two forms of trust: run them one at a time",
    ],
    [
      "--for with files",
      ["x.so", "--for", "greeter@^1"],
      "--for belongs to `trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key), not to `trust FILE|DIR...` (pins plugins by hash)",
    ],
    [
      "--for alone",
      ["--for", "greeter@^1"],
      "--for belongs to `trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key): add --publisher KEY",
    ],
    [
      "--name with --retire",
      ["--retire", "0123", "--reason", "r", "--name", "acme"],
      "--name belongs to `trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key), not to `trust --retire KEY_ID --reason TEXT` (retires a key)",
    ],
    [
      "--reason with --publisher",
      ["--publisher", "acme.pub", "--for", "x", "--reason", "r"],
      "--reason belongs to `trust --retire KEY_ID --reason TEXT` (retires a key), not to `trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key)",
    ],
    [
      "--reason alone",
      ["--reason", "leaked"],
      "--reason belongs to `trust --retire KEY_ID --reason TEXT` (retires a key): add --retire KEY_ID",
    ],
    [
      "--for with --list-publishers",
      ["--list-publishers", "--for", "x"],
      "--for belongs to `trust --publisher KEY --for NAME@RANGE` (trusts a publisher's key), not to `trust --list-publishers` (lists the trusted keys)",
    ],
    [
      "--publisher without --for",
      ["--publisher", "acme.pub"],
      'trust --publisher needs at least one --for NAME@RANGE: the names and versions the key may sign, e.g. --for "greeter@^0.2"',
    ],
    [
      "--retire without --reason",
      ["--retire", "0123"],
      "trust --retire needs --reason TEXT: why, kept in the lockfile and shown when a plugin signed by the key is refused",
    ],
    [
      "an empty --reason",
      ["--retire", "0123", "--reason", " "],
      "--reason must say why the key is retired",
    ],
    [
      "a .pub file as FILE",
      ["acme.pub"],
      '"acme.pub" is a public key, not a plugin: to trust a publisher\'s key, run trust --publisher "acme.pub" --for NAME@RANGE',
    ],
    [
      "a key text as FILE",
      ["plugboard-ed25519:AAAA"],
      '"plugboard-ed25519:AAAA" is a public key, not a plugin: to trust a publisher\'s key, run trust --publisher "plugboard-ed25519:AAAA" --for NAME@RANGE',
    ],
    [
      "a private key as FILE",
      ["build/acme.key"],
      '"build/acme.key" looks like a private key, not a plugin: keep it to yourself, and trust its public half with trust --publisher "build/acme.key.pub" --for NAME@RANGE',
    ],
    [
      "a signature as FILE",
      ["build/greeter.so.sig"],
      '"build/greeter.so.sig" is a signature file, not a plugin: pin the plugin itself (trust "build/greeter.so"), or trust the key that signed it (trust --publisher KEY --for NAME@RANGE)',
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, async () => {
      assertEquals(await cli("trust", ...args), usage(message));
    });
  }
});

Deno.test("plugboard trust --publisher adds a key, updates what it is trusted for, and refuses bad keys", async (t) => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const acme = await keygen(dir, "acme");

  await t.step("added, from the .pub file, for two specs", async () => {
    assertEquals(
      await cli(
        "trust",
        "--publisher",
        acme.pub,
        "--for",
        "greeter@^0.1",
        "--for",
        "calc-*@>=1.0",
        "--name",
        "acme",
        "--lock",
        lock,
      ),
      {
        code: 0,
        out: [`added publisher ${acme.id} (acme): calc-*@>=1.0, greeter@^0.1`, `wrote ${lock}`],
        err: [],
      },
    );
  });
  await t.step("the same again, as key text: unchanged, not written", async () => {
    const before = Deno.statSync(lock).mtime;
    assertEquals(
      await cli("trust", "--publisher", acme.key, "--for", "greeter@^0.1", "--lock", lock),
      {
        code: 0,
        out: [`unchanged publisher ${acme.id} (acme): calc-*@>=1.0, greeter@^0.1`, `kept ${lock}`],
        err: [],
      },
    );
    assertEquals(Deno.statSync(lock).mtime, before);
  });
  await t.step("more specs and a new name: updated, saying what changed", async () => {
    assertEquals(
      await cli(
        "trust",
        "--publisher",
        acme.pub,
        "--for",
        "text-*",
        "--name",
        "acme-corp",
        "--lock",
        lock,
      ),
      {
        code: 0,
        out: [
          `updated publisher ${acme.id} (acme-corp): calc-*@>=1.0, greeter@^0.1, text-* (added text-*; name acme -> acme-corp)`,
          `wrote ${lock}`,
        ],
        err: [],
      },
    );
  });
  await t.step("--json", async () => {
    assertEquals(
      (await cli("trust", "--publisher", acme.pub, "--for", "greeter", "--lock", lock, "--json"))
        .out,
      [JSON.stringify({
        lockfile: lock,
        written: true,
        change: "updated",
        publisher: {
          id: acme.id,
          key: acme.key,
          name: "acme-corp",
          trusts: ["calc-*@>=1.0", "greeter", "greeter@^0.1", "text-*"],
          retired: null,
        },
      })],
    );
  });

  const refused: [string, string[], number, string[]][] = [
    [
      "the private key",
      ["--publisher", acme.path, "--for", "greeter"],
      2,
      [
        `error[USAGE]: Expected a public key in "${acme.path}", found a private key`,
        `hint: pass its public half, ${acme.path}.pub (plugboard keygen writes both); a private key stays with whoever signs`,
      ],
    ],
    [
      "a missing key file",
      ["--publisher", `${dir}/none.pub`, "--for", "greeter"],
      1,
      [
        `error[NOT_FOUND]: Cannot read public key "${dir}/none.pub": no such file: expected a key text plugboard-ed25519:... or a .pub file, found nothing at ${dir}/none.pub`,
        "hint: name the .pub file `plugboard keygen` wrote, or give the key text it printed",
      ],
    ],
    [
      "a file without a key",
      ["--publisher", `${dir}/plugboard.lock`, "--for", "greeter"],
      1,
      [
        `error[BAD_SIGNATURE]: Invalid public key file "${dir}/plugboard.lock": expected plugboard-ed25519: and 32 bytes in base64url on one line, found another text`,
        "hint: use the .pub file `plugboard keygen` wrote",
      ],
    ],
    [
      "a key text cut short",
      ["--publisher", "plugboard-ed25519:AAAA", "--for", "greeter"],
      1,
      [
        'error[BAD_SIGNATURE]: Invalid public key "plugboard-ed25519:AAAA": expected plugboard-ed25519: and 32 bytes in base64url, found another text',
        "hint: use the .pub file `plugboard keygen` wrote",
      ],
    ],
    [
      "a malformed spec",
      ["--publisher", acme.pub, "--for", "Greeter@^x"],
      2,
      [
        'error[USAGE]: Invalid trust spec "Greeter@^x"',
        'hint: write NAME@RANGE, e.g. "greeter@^0.2", "calc-*@>=1.0" or "greeter"',
      ],
    ],
  ];
  for (const [name, args, code, err] of refused) {
    await t.step(`refused: ${name}, the lockfile unchanged`, async () => {
      const before = Deno.readTextFileSync(lock);
      assertEquals(await cli("trust", ...args, "--lock", lock), { code, out: [], err });
      assertEquals(Deno.readTextFileSync(lock), before);
    });
  }
  await t.step("a lockfile in a missing directory: NOT_FOUND before anything", async () => {
    const r = await cli(
      "trust",
      "--publisher",
      acme.pub,
      "--for",
      "x",
      "--lock",
      `${dir}/no/p.lock`,
    );
    assertEquals(r, {
      code: 1,
      out: [],
      err: [
        `error[NOT_FOUND]: Cannot write lockfile "${dir}/no/p.lock": no such directory: expected an existing directory, found nothing at ${dir}/no`,
        `hint: create the directory (mkdir -p ${dir}/no), or name another --lock`,
      ],
    });
  });
});

Deno.test("plugboard trust --retire and --list-publishers", async (t) => {
  const dir = tempDir();
  const lock = `${dir}/plugboard.lock`;
  const acme = await keygen(dir, "acme");
  const other = await keygen(dir, "other");

  await t.step("no lockfile: --list-publishers fails, --retire writes nothing", async () => {
    assertEquals(await cli("trust", "--list-publishers", "--lock", lock), {
      code: 1,
      out: [],
      err: [
        `error[NOT_FOUND]: Cannot read lockfile "${lock}": no such file: expected an existing file, found nothing at ${lock}`,
        `hint: create it by trusting plugins: plugboard trust FILE|DIR... --lock ${lock}`,
      ],
    });
    assertEquals(await cli("trust", "--retire", acme.id, "--reason", "x", "--lock", lock), {
      code: 2,
      out: [],
      err: [
        `error[USAGE]: Cannot retire key "${acme.id}": expected the id of one trusted publisher, found none`,
        "hint: list the trusted keys with `plugboard trust --list-publishers`",
      ],
    });
    assertEquals(exists(lock), false);
  });
  await t.step("a lockfile with plugins only: no publishers", async () => {
    assertEquals(
      (await cli("trust", copyInto(plugin("greeter"), dir, "g.so"), "--lock", lock)).code,
      0,
    );
    assertEquals(await cli("trust", "--list-publishers", "--lock", lock), {
      code: 0,
      out: [`no publishers in ${lock}: trust one with trust --publisher KEY --for NAME@RANGE`],
      err: [],
    });
  });
  await t.step("two keys, one retired: the table", async () => {
    await cli(
      "trust",
      "--publisher",
      acme.pub,
      "--for",
      "greeter@^0.1",
      "--name",
      "acme",
      "--lock",
      lock,
    );
    await cli(
      "trust",
      "--publisher",
      other.pub,
      "--for",
      "calc-*@>=1",
      "--for",
      "text-*",
      "--lock",
      lock,
    );
    const r = await cli(
      "trust",
      "--retire",
      other.id,
      "--reason",
      "the key leaked",
      "--lock",
      lock,
    );
    const time = JSON.parse(Deno.readTextFileSync(lock)).publishers[other.id].retired.time;
    assertEquals(r.out, [
      `retired publisher ${other.id} on ${time}: the key leaked`,
      `wrote ${lock}`,
    ]);
    const rows = [acme, other].sort((a, b) => a.id < b.id ? -1 : 1).map((k) =>
      k === acme
        ? `${acme.id}  acme  greeter@^0.1        active`
        : `${other.id}  -     calc-*@>=1, text-*  retired ${time}: the key leaked`
    );
    assertEquals(await cli("trust", "--list-publishers", "--lock", lock), {
      code: 0,
      out: [
        "KEY ID            NAME  TRUSTED FOR         STATUS",
        ...rows,
        `2 publisher(s) in ${lock}: 1 active, 1 retired`,
      ],
      err: [],
    });
    const json = await cli("trust", "--list-publishers", "--lock", lock, "--json");
    const entries = {
      [acme.id]: {
        id: acme.id,
        key: acme.key,
        name: "acme",
        trusts: ["greeter@^0.1"],
        retired: null,
      },
      [other.id]: {
        id: other.id,
        key: other.key,
        name: null,
        trusts: ["calc-*@>=1", "text-*"],
        retired: { time, reason: "the key leaked" },
      },
    };
    assertEquals(json.out, [JSON.stringify({
      lockfile: lock,
      publishers: Object.keys(entries).sort().map((id) => entries[id]),
    })]);
  });
  await t.step("retiring it again keeps the first time and reason", async () => {
    const time = JSON.parse(Deno.readTextFileSync(lock)).publishers[other.id].retired.time;
    assertEquals(await cli("trust", "--retire", other.id, "--reason", "again", "--lock", lock), {
      code: 0,
      out: [
        `unchanged publisher ${other.id}: already retired on ${time}: the key leaked`,
        `kept ${lock}`,
      ],
      err: [],
    });
  });
  await t.step("a retired key is not trusted again", async () => {
    const time = JSON.parse(Deno.readTextFileSync(lock)).publishers[other.id].retired.time;
    assertEquals(await cli("trust", "--publisher", other.pub, "--for", "x", "--lock", lock), {
      code: 2,
      out: [],
      err: [
        `error[USAGE]: Cannot trust key ${other.id}: expected a key that is not retired, found one retired on ${time}: the key leaked`,
        "hint: make a new key (plugboard keygen), trust it and sign the plugins again; a key retired by mistake is removed from the lockfile by hand",
      ],
    });
  });
  await t.step("the plugins pinned before are still there", () => {
    assertEquals(Object.keys(JSON.parse(Deno.readTextFileSync(lock)).plugins), ["greeter@0.1.0"]);
  });
});
