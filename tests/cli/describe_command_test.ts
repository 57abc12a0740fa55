/**
 * `plugboard describe`: without --run it shows the sidecar as the pipeline
 * reads it and never executes the program (a program that leaves a marker
 * file whenever it runs leaves none); with --run it asks the program in the
 * OS sandbox (which refuses the marker's write) and shows how the answer
 * differs; --write rewrites the sidecar.
 */
import { assertEquals } from "../_assert.ts";
import { inspectPlugin } from "../../mod.ts";
import { plugin, ROOT } from "../_paths.ts";
import { sha256Of } from "../registry/_helpers.ts";
import { cli, cliProcess, copyInto, exists, tempDir } from "./_signing.ts";

const FIXTURE = `${ROOT}/tests/cli/fixtures/describe_marker.sh`;
const SIDECAR_TEXT = Deno.readTextFileSync(`${FIXTURE}.plugboard.json`);

/** A fresh copy of the program and its sidecar in a directory of its own. */
function program(withSidecar = true): { program: string; sidecar: string; marker: string } {
  const dir = tempDir();
  const path = copyInto(FIXTURE, dir, "describe_marker.sh");
  Deno.chmodSync(path, 0o755);
  if (withSidecar) Deno.writeTextFileSync(`${path}.plugboard.json`, SIDECAR_TEXT);
  return { program: path, sidecar: `${path}.plugboard.json`, marker: `${dir}/ran.marker` };
}

const DIFFERENCES = [
  '  version: sidecar "0.1.0", program "0.2.0"',
  '  interface marker, function count: sidecar none, program "i32 count(cstring text)"',
];

function mismatch(path: string): string[] {
  return [
    `error[METADATA_MISMATCH]: Cannot load plugin "${path}": its --plugboard-describe answer differs from its sidecar "${path}.plugboard.json": expected what the sidecar says, found 2 difference(s), listed above`,
    `hint: review the program; if the change is intended, rewrite the sidecar (plugboard describe ${path} --run --write) and trust it again`,
  ];
}

Deno.test("plugboard describe without --run shows the sidecar and never runs the program", async (t) => {
  const p = program();
  await t.step("the sidecar as read, exactly", async () => {
    assertEquals(await cli("describe", p.program), {
      code: 0,
      out: [
        `describe-marker 0.1.0  (${p.program})`,
        `  sidecar      ${p.sidecar} (SHA-256 ${sha256Of(p.sidecar).slice(0, 12)}…)`,
        `  SHA-256      ${sha256Of(p.program)}`,
        "  protocol     plugboard-rpc/1, mode rpc",
        "  ABI          1.0",
        "  interfaces",
        `    marker/1.0  (shape ${inspectPlugin(p.program).interfaces[0].hash.slice(0, 12)})`,
        "      i32 ping()",
        `not run: read from the sidecar (plugboard describe ${p.program} --run asks the program, confined)`,
      ],
      err: [],
    });
    assertEquals(exists(p.marker), false);
  });
  await t.step("named by its sidecar, and as JSON", async () => {
    assertEquals(await cli("describe", p.sidecar, "--json"), {
      code: 0,
      out: [JSON.stringify({
        program: p.program,
        sha256: sha256Of(p.program),
        sidecar: { path: p.sidecar, sha256: sha256Of(p.sidecar) },
        metadata: {
          "plugboard-rpc": 1,
          name: "describe-marker",
          version: "0.1.0",
          abi: "1.0",
          mode: "rpc",
          interfaces: [{
            id: "marker",
            version: "1.0",
            hash: inspectPlugin(p.program).interfaces[0].hash,
            functions: ["i32 ping()"],
          }],
        },
        ran: false,
      })],
      err: [],
    });
    assertEquals(exists(p.marker), false);
  });
  await t.step("without a sidecar: NOT_A_PLUGIN, still not run", async () => {
    const bare = program(false);
    assertEquals(await cli("describe", bare.program), {
      code: 1,
      out: [],
      err: [
        `error[NOT_A_PLUGIN]: Cannot load plugin "${bare.program}": an executable without plugboard metadata: expected its metadata sidecar "${bare.sidecar}", found no sidecar`,
        "hint: if it speaks plugboard-rpc (docs/subprocess.md), write its sidecar with `plugboard describe PROGRAM --run --write`, which runs it once, confined, to ask",
      ],
    });
    assertEquals(exists(bare.marker), false);
  });
  await t.step("a native plugin: pointed to inspect", async () => {
    assertEquals(await cli("describe", plugin("greeter")), {
      code: 2,
      out: [],
      err: [
        `error[USAGE]: "${
          plugin("greeter")
        }" is a native plugin: expected an executable with a sidecar, found metadata in the file itself`,
        `hint: plugboard inspect ${plugin("greeter")} shows it`,
      ],
    });
  });
  const usage: [string, string[], string][] = [
    [
      "--write without --run",
      ["--write"],
      "--write is for describe --run: without --run the program is not run",
    ],
    [
      "--no-sandbox without --run",
      ["--no-sandbox"],
      "--no-sandbox is for describe --run: without --run the program is not run",
    ],
    [
      "--allow-unconfined without --run",
      ["--allow-unconfined"],
      "--allow-unconfined is for describe --run: without --run the program is not run",
    ],
  ];
  for (const [name, flags, message] of usage) {
    await t.step(name, async () => {
      assertEquals(await cli("describe", p.program, ...flags), {
        code: 2,
        out: [],
        err: [`error[USAGE]: ${message}`, "hint: see plugboard describe --help"],
      });
      assertEquals(exists(p.marker), false);
    });
  }
});

Deno.test("plugboard describe --run asks the program, confined, and shows the difference", async (t) => {
  await t.step(
    "confined: the differences, and the program could not write its marker",
    async () => {
      const p = program();
      assertEquals(await cli("describe", p.program, "--run"), {
        code: 1,
        out: [
          `ran ${p.program} --plugboard-describe (confined)`,
          `it differs from its sidecar ${p.sidecar}:`,
          ...DIFFERENCES,
        ],
        err: mismatch(p.program),
      });
      assertEquals(exists(p.marker), false);
    },
  );
  await t.step("--no-sandbox: it runs unconfined and leaves its marker", async () => {
    const p = program();
    assertEquals(await cli("describe", p.program, "--run", "--no-sandbox"), {
      code: 1,
      out: [
        `ran ${p.program} --plugboard-describe (unconfined)`,
        `it differs from its sidecar ${p.sidecar}:`,
        ...DIFFERENCES,
      ],
      err: [
        "warning: running the program unconfined (--no-sandbox): the plugin's code runs with every right of this user",
        ...mismatch(p.program),
      ],
    });
    assertEquals(exists(p.marker), true);
  });
  await t.step("--write: the sidecar rewritten from the answer; then they agree", async () => {
    const p = program();
    assertEquals(await cli("describe", p.program, "--run", "--write"), {
      code: 0,
      out: [
        `ran ${p.program} --plugboard-describe (confined)`,
        `it differs from its sidecar ${p.sidecar}:`,
        ...DIFFERENCES,
        `wrote ${p.sidecar}`,
      ],
      err: [],
    });
    assertEquals(JSON.parse(Deno.readTextFileSync(p.sidecar)), {
      "plugboard-rpc": 1,
      name: "describe-marker",
      version: "0.2.0",
      abi: "1.0",
      mode: "rpc",
      interfaces: [{
        id: "marker",
        version: "1.0",
        functions: ["i32 ping()", "i32 count(cstring text)"],
      }],
    });
    assertEquals(await cli("describe", p.program, "--run"), {
      code: 0,
      out: [
        `ran ${p.program} --plugboard-describe (confined)`,
        `it describes itself as its sidecar ${p.sidecar} says`,
      ],
      err: [],
    });
    assertEquals(
      (await cli("describe", p.program, "--run", "--write")).out.at(-1),
      `kept ${p.sidecar}: unchanged`,
    );
    assertEquals(exists(p.marker), false);
  });
  await t.step(
    "no sidecar yet: what the program says, then NOT_A_PLUGIN; --write makes one",
    async () => {
      const p = program(false);
      const hash = inspectPluginHash();
      assertEquals(await cli("describe", p.program, "--run"), {
        code: 1,
        out: [
          `ran ${p.program} --plugboard-describe (confined)`,
          "it says:",
          `describe-marker 0.2.0  (${p.program})`,
          "  protocol     plugboard-rpc/1, mode rpc",
          "  ABI          1.0",
          "  interfaces",
          `    marker/1.0  (shape ${hash.slice(0, 12)})`,
          "      i32 ping()",
          "      i32 count(cstring text)",
        ],
        err: [
          `error[NOT_A_PLUGIN]: Cannot load plugin "${p.program}": an executable without plugboard metadata: expected its metadata sidecar "${p.sidecar}", found no sidecar`,
          "hint: if it speaks plugboard-rpc (docs/subprocess.md), write its sidecar with `plugboard describe PROGRAM --run --write`, which runs it once, confined, to ask",
        ],
      });
      assertEquals(
        (await cli("describe", p.program, "--run", "--write")).out.at(-1),
        `wrote ${p.sidecar}`,
      );
      assertEquals(inspectPlugin(p.program).version, "0.2.0");
      assertEquals(exists(p.marker), false);
    },
  );
  await t.step("an invalid sidecar: shown with the answer, then rewritten by --write", async () => {
    const p = program();
    Deno.writeTextFileSync(p.sidecar, "{ not json");
    const r = await cli("describe", p.program, "--run");
    assertEquals([r.code, r.out.slice(0, 3), r.err], [1, [
      `ran ${p.program} --plugboard-describe (confined)`,
      "it says:",
      `describe-marker 0.2.0  (${p.program})`,
    ], [
      `error[BAD_METADATA]: Cannot load plugin "${p.program}": the sidecar "${p.sidecar}" is invalid: expected one JSON object in UTF-8, found text that is not JSON (Expected property name or '}' in JSON at position 2 (line 1 column 3))`,
      "hint: rewrite the sidecar with `plugboard describe PROGRAM --run --write` (docs/subprocess.md)",
    ]]);
    assertEquals(
      (await cli("describe", p.program, "--run", "--write")).out.at(-1),
      `wrote ${p.sidecar}`,
    );
    assertEquals(
      (await cli("describe", p.program)).out[0],
      `describe-marker 0.2.0  (${p.program})`,
    );
  });
  await t.step("--json", async () => {
    const p = program();
    const r = await cli("describe", p.program, "--run", "--json");
    const out = JSON.parse(r.out[0]);
    assertEquals([r.code, r.err, out.ran, out.sandbox, out.written, out.differences], [
      1,
      [],
      true,
      {
        mode: "confined",
        shortfall: null,
      },
      false,
      [
        { what: "version", sidecar: '"0.1.0"', program: '"0.2.0"' },
        {
          what: "interface marker, function count",
          sidecar: "none",
          program: '"i32 count(cstring text)"',
        },
      ],
    ]);
  });
});

Deno.test("plugboard describe --run on a kernel without Landlock and seccomp", async (t) => {
  await t.step("refused with SANDBOX_UNAVAILABLE: the program is not run", async () => {
    const p = program();
    const r = await cliProcess(["describe", p.program, "--run"], { noSandboxKernel: true });
    assertEquals([
      r.code,
      r.out,
      r.err[0].startsWith(
        `error[SANDBOX_UNAVAILABLE]: Cannot load plugin "${p.program}": the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later and seccomp filters, found no Landlock and no seccomp filters`,
      ),
      r.err.slice(1),
    ], [1, [], true, [
      "hint: run on Linux 6.12 or later with Landlock enabled and a kernel with CONFIG_SECCOMP_FILTER, or accept less explicitly: bestEffort applies what this kernel supports, allowUnconfined runs without a sandbox",
      "hint: on the command line: --allow-unconfined runs it with what this kernel can enforce, --no-sandbox without a sandbox",
    ]]);
    assertEquals(exists(p.marker), false);
  });
  await t.step(
    "--allow-unconfined: run with what the kernel can (nothing), said on stderr",
    async () => {
      const p = program();
      const r = await cliProcess(["describe", p.program, "--run", "--allow-unconfined"], {
        noSandboxKernel: true,
      });
      assertEquals([r.code, r.out], [1, [
        `ran ${p.program} --plugboard-describe (confined as far as the kernel can)`,
        `it differs from its sidecar ${p.sidecar}:`,
        ...DIFFERENCES,
      ]]);
      assertEquals(
        r.err[0].startsWith(
          "warning: the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later",
        ),
        true,
      );
      assertEquals(
        r.err[0].endsWith("; running the program with what it can enforce (--allow-unconfined)"),
        true,
      );
      assertEquals(r.err.slice(1), mismatch(p.program));
      assertEquals(exists(p.marker), true);
    },
  );
});

/** The shape hash of the program's own answer (marker/1.0 with ping and count). */
function inspectPluginHash(): string {
  const p = program(false);
  Deno.writeTextFileSync(
    p.sidecar,
    JSON.stringify({
      "plugboard-rpc": 1,
      name: "describe-marker",
      version: "0.2.0",
      abi: "1.0",
      interfaces: [{
        id: "marker",
        version: "1.0",
        functions: ["i32 ping()", "i32 count(cstring)"],
      }],
    }),
  );
  return inspectPlugin(p.program).interfaces[0].hash;
}
