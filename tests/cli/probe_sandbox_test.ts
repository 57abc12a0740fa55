/**
 * `plugboard probe` and its sandbox flags, with a plugin whose init hook
 * refuses to start when it can read /etc/passwd (so its verdict says whether
 * it ran confined), on this kernel and on an emulated one without Landlock
 * and seccomp filters (tests/cli/fixtures/no_sandbox_kernel.c). Each run has
 * its own quarantine list.
 */
import { assertEquals } from "../_assert.ts";
import type { CliRun } from "../_cli.ts";
import { fixture } from "../_paths.ts";
import { cli, cliProcess, copyInto, tempDir } from "./_signing.ts";

const dir = tempDir();
const PLUGIN = copyInto(fixture("sandbox_init"), dir, "sandbox_init.so");
const NAME = `${PLUGIN} (sandbox-init 0.1.0)`;

/** A run with each `in N ms` made `in N ms`. */
function timeless(r: CliRun): CliRun {
  const strip = (l: string) => l.replace(/ in \d+ ms$/, " in N ms");
  return { code: r.code, out: r.out.map(strip), err: r.err.map(strip) };
}

const INIT_FAILED = [
  `refused  ${NAME}: error[INIT_FAILED]: Cannot load plugin "${PLUGIN}": the plugin's init hook failed: expected init to return 0, found 13: /etc/passwd is readable: not confined`,
  "         hint: the plugin refused to start; fix what its message says, then load it again",
];
const UNCONFINED_WARNING =
  "warning: probing unconfined (--no-sandbox): the plugin's code runs with every right of this user";
const summary = (q: string, ok: number, refused: number) =>
  `1 probed: ${ok} ok, 0 crashed, 0 hung, ${refused} refused, 0 quarantined (list: ${q})`;

/** What the kernel lacks, as the sandbox says it (the emulated kernel lacks all). */
const KERNEL =
  "no Landlock and no seccomp filters (the kernel has no Landlock: it needs Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK; the kernel has no seccomp filters: it needs CONFIG_SECCOMP_FILTER), which cannot limit file access; truncation; device ioctls; signals to other processes; TCP on sockets made before the sandbox; abstract unix sockets; socket families, process creation and privileged calls (seccomp)";

Deno.test("plugboard probe runs plugins confined by default; --no-sandbox says it does not", async (t) => {
  await t.step("default: confined, so the plugin cannot read /etc/passwd and starts", async () => {
    const q = `${dir}/default.json`;
    assertEquals(timeless(await cli("probe", PLUGIN, "--quarantine", q)), {
      code: 0,
      out: [`ok  ${NAME} in N ms`, summary(q, 1, 0)],
      err: [],
    });
  });
  await t.step(
    "--allow-unconfined on a kernel that can: confined all the same, no warning",
    async () => {
      const q = `${dir}/allow.json`;
      assertEquals(timeless(await cli("probe", PLUGIN, "--quarantine", q, "--allow-unconfined")), {
        code: 0,
        out: [`ok  ${NAME} in N ms`, summary(q, 1, 0)],
        err: [],
      });
    },
  );
  await t.step("--no-sandbox: unconfined, the plugin sees /etc/passwd and refuses", async () => {
    const q = `${dir}/off.json`;
    assertEquals(await cli("probe", PLUGIN, "--quarantine", q, "--no-sandbox"), {
      code: 1,
      out: [...INIT_FAILED, summary(q, 0, 1)],
      err: [UNCONFINED_WARNING],
    });
  });
  await t.step("--json says what the probes ran under", async () => {
    const q = `${dir}/json.json`;
    const sandbox = async (...flags: string[]) =>
      JSON.parse((await cli("probe", PLUGIN, "--quarantine", q, "--json", ...flags)).out[0])
        .sandbox;
    assertEquals(await sandbox(), { mode: "confined", shortfall: null });
    assertEquals(await sandbox("--no-sandbox"), { mode: "off", shortfall: null });
  });
  await t.step("both flags: a usage error", async () => {
    assertEquals(await cli("probe", PLUGIN, "--no-sandbox", "--allow-unconfined"), {
      code: 2,
      out: [],
      err: [
        "error[USAGE]: --no-sandbox and --allow-unconfined exclude each other: --no-sandbox never confines, --allow-unconfined confines as far as the kernel can",
        "hint: see plugboard probe --help",
      ],
    });
  });
  await t.step("help explains the default", async () => {
    const help = (await cli("probe", "--help")).out.join("\n");
    assertEquals(
      help.includes(
        "On a kernel without Landlock or seccomp every probe is refused with\nSANDBOX_UNAVAILABLE, never run less confined, unless you say so:",
      ),
      true,
    );
  });
});

Deno.test("plugboard probe on a kernel without Landlock and seccomp: refused, unless --allow-unconfined or --no-sandbox", async (t) => {
  await t.step(
    "default: SANDBOX_UNAVAILABLE, the plugin not run, nothing quarantined",
    async () => {
      const q = `${dir}/nokernel.json`;
      assertEquals(
        await cliProcess(["probe", PLUGIN, "--quarantine", q], { noSandboxKernel: true }),
        {
          code: 1,
          out: [
            `refused  ${PLUGIN}: error[SANDBOX_UNAVAILABLE]: Cannot load plugin "${PLUGIN}": the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later and seccomp filters, found ${KERNEL}`,
            "         hint: run on Linux 6.12 or later with Landlock enabled and a kernel with CONFIG_SECCOMP_FILTER, or accept less explicitly: bestEffort applies what this kernel supports, allowUnconfined runs without a sandbox",
            "         hint: on the command line: --allow-unconfined runs it with what this kernel can enforce, --no-sandbox without a sandbox",
            summary(q, 0, 1),
          ],
          err: [],
        },
      );
    },
  );
  await t.step(
    "--allow-unconfined: probed with what the kernel can (here nothing), said on stderr",
    async () => {
      const q = `${dir}/nokernel-allow.json`;
      assertEquals(
        await cliProcess(["probe", PLUGIN, "--quarantine", q, "--allow-unconfined"], {
          noSandboxKernel: true,
        }),
        {
          code: 1,
          out: [...INIT_FAILED, summary(q, 0, 1)],
          err: [
            `warning: the kernel cannot enforce the sandbox: expected Landlock ABI 6 or later and seccomp filters, found ${KERNEL}; probing with what it can enforce (--allow-unconfined)`,
          ],
        },
      );
    },
  );
  await t.step("--allow-unconfined --json: the shortfall in the output", async () => {
    const r = await cliProcess(
      ["probe", PLUGIN, "--quarantine", `${dir}/nk.json`, "--allow-unconfined", "--json"],
      { noSandboxKernel: true },
    );
    assertEquals([r.err, JSON.parse(r.out[0]).sandbox], [[], {
      mode: "reduced",
      shortfall: `expected Landlock ABI 6 or later and seccomp filters, found ${KERNEL}`,
    }]);
  });
  await t.step("--no-sandbox: unconfined, as asked", async () => {
    const q = `${dir}/nokernel-off.json`;
    assertEquals(
      await cliProcess(["probe", PLUGIN, "--quarantine", q, "--no-sandbox"], {
        noSandboxKernel: true,
      }),
      { code: 1, out: [...INIT_FAILED, summary(q, 0, 1)], err: [UNCONFINED_WARNING] },
    );
  });
});
