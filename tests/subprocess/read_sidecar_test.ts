/**
 * readSidecar() reads what a subprocess plugin declares without running it;
 * describeProgram() asks the program; the checked-in sidecars equal both
 * what each reference plugin describes and what it says in its handshake.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { LoadError } from "../../src/errors/plugin_error.ts";
import { describeProgram, formatSidecar } from "../../src/isolate/describe_program.ts";
import { openRpcConnection } from "../../src/isolate/_rpc_connection.ts";
import { readSidecar, sidecarPath } from "../../src/isolate/read_sidecar.ts";
import { buildGoPlugin, FIXTURES, RPC } from "./_helpers.ts";

const sha = (path: string) => createHash("sha256").update(Deno.readFileSync(path)).digest("hex");

async function references(): Promise<string[]> {
  return [
    `${RPC}/calc_sub.sh`,
    `${RPC}/calc_mul.py`,
    await buildGoPlugin(),
    `${RPC}/calc_mod.sh`,
    `${RPC}/text_shout.sh`,
  ];
}

Deno.test("readSidecar() reads and hashes a program's sidecar without running it", () => {
  const s = readSidecar(`${RPC}/calc_mul.py`);
  assert.equal(s.path, `${RPC}/calc_mul.py.plugboard.json`);
  assert.equal(sidecarPath(`${RPC}/calc_mul.py`), s.path);
  assert.equal(s.metadata.name, "calc-mul-python");
  assert.equal(s.metadata.version, "0.1.0");
  assert.equal(s.metadata.mode, "rpc");
  assert.deepEqual(s.metadata.interfaces.map((i) => i.id), ["calc.op"]);
  assert.equal(s.sha256, sha(s.path));
  assert.equal(s.programSha256, sha(`${RPC}/calc_mul.py`));
  assert.equal(readSidecar(`${RPC}/calc_mod.sh`).metadata.mode, "oneshot");
});

Deno.test("readSidecar() refuses what it cannot use", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-sidecar-test-" });
  try {
    const prog = `${dir}/prog`;
    Deno.writeTextFileSync(prog, "#!/bin/sh\n");
    const cases: [string, string | undefined, string, string][] = [
      [
        "no program",
        undefined,
        "NOT_FOUND",
        `Cannot load plugin "${dir}/none": no such program: expected an existing executable, found nothing at that path`,
      ],
      [
        "no sidecar",
        undefined,
        "NOT_FOUND",
        `Cannot load plugin "${prog}": no sidecar: expected "${prog}.plugboard.json" next to the program, found nothing at that path`,
      ],
      [
        "not JSON",
        "{ name: 1 }",
        "BAD_METADATA",
        `Cannot load plugin "${prog}": the sidecar "${prog}.plugboard.json" is invalid: expected one JSON object in UTF-8, found text that is not JSON`,
      ],
      [
        "not UTF-8",
        "\xff",
        "BAD_METADATA",
        `Cannot load plugin "${prog}": the sidecar "${prog}.plugboard.json" is invalid: expected one JSON object in UTF-8, found bytes that are not UTF-8`,
      ],
      [
        "a bad field",
        JSON.stringify({ "plugboard-rpc": 1, name: "p", version: "x", abi: "1.0" }),
        "BAD_METADATA",
        `Cannot load plugin "${prog}": the sidecar "${prog}.plugboard.json" is invalid: expected a semver "version" such as "0.1.0", found "x"`,
      ],
    ];
    for (const [name, content, code, summary] of cases) {
      await t.step(name, () => {
        try {
          Deno.removeSync(`${prog}.plugboard.json`);
        } catch {
          // absent
        }
        if (content !== undefined) {
          Deno.writeFileSync(
            `${prog}.plugboard.json`,
            content === "\xff" ? new Uint8Array([0xff]) : new TextEncoder().encode(content),
          );
        }
        const target = name === "no program" ? `${dir}/none` : prog;
        assert.throws(() => readSidecar(target), (e) => {
          assert.ok(e instanceof LoadError);
          assert.equal(e.code, code);
          assert.ok(
            e.summary.startsWith(summary),
            `${e.summary}\n  does not start with\n${summary}`,
          );
          assert.ok(e.hint);
          return true;
        });
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every checked-in sidecar equals what its program describes and says at start", async (t) => {
  for (const program of await references()) {
    await t.step(program.split("/").pop()!, async () => {
      const sidecar = readSidecar(program);
      const described = await describeProgram(program, { launcher: false });
      assert.equal(described.sidecar, Deno.readTextFileSync(sidecar.path), "describe == sidecar");
      if (sidecar.metadata.mode === "rpc") {
        await using conn = await openRpcConnection(program, {
          expected: sidecar.metadata,
          launcher: false,
          log: () => {},
        });
        assert.equal(conn.metadata.name, sidecar.metadata.name);
      }
    });
  }
});

Deno.test("describeProgram() refuses a program that does not describe itself", async (t) => {
  const cases: [string, string, string][] = [
    [
      `${FIXTURES}/oneshot.sh`,
      "BAD_METADATA",
      `Cannot load plugin "${FIXTURES}/oneshot.sh": the program does not describe itself (--plugboard-describe): expected exit status 0 and one metadata JSON object on stdout, found the program (pid PID) exited with code 2`,
    ],
  ];
  for (const [program, code, summary] of cases) {
    await t.step(program.split("/").pop()!, async () => {
      const e = await describeProgram(program, { launcher: false, log: () => {} }).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(e instanceof LoadError);
      assert.equal(e.code, code);
      assert.equal(e.summary.replace(/pid \d+/, "pid PID"), summary);
    });
  }
  await t.step("a program that prints something else", async () => {
    const dir = await Deno.makeTempDir({ prefix: "plugboard-describe-test-" });
    try {
      const prog = `${dir}/p.sh`;
      Deno.writeTextFileSync(prog, '#!/bin/sh\necho "usage: p.sh FILE"\n');
      Deno.chmodSync(prog, 0o755);
      const e = await describeProgram(prog, { launcher: false }).then(() => undefined, (e) => e);
      assert.ok(e instanceof LoadError);
      assert.equal(e.code, "BAD_METADATA");
      assert.equal(e.found, 'stdout that is not JSON: "usage: p.sh FILE"');
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("formatSidecar() keeps the program's text and puts the keys in order", () => {
  const text = formatSidecar({
    interfaces: [{ id: "t", version: "1.0", functions: ["i32 f(i32 x)"] }],
    abi: "1.0",
    version: "1.0.0",
    name: "n",
    "plugboard-rpc": 1,
  });
  assert.equal(
    text,
    `{
  "plugboard-rpc": 1,
  "name": "n",
  "version": "1.0.0",
  "abi": "1.0",
  "mode": "rpc",
  "interfaces": [
    {
      "id": "t",
      "version": "1.0",
      "functions": [
        "i32 f(i32 x)"
      ]
    }
  ]
}
`,
  );
});
