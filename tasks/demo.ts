/**
 * `deno task demo`: the plugin host at work, in a temporary directory.
 *
 * 1. Discovery: sample plugins, a text file renamed `.so` and an ordinary
 *    library; the host loads the plugins and skips the others, saying why.
 * 2. `plugboard calc` on that directory (operators in C and one in bash,
 *    run as a process), including a plugin's own error.
 * 3. `plugboard pipe` through the three native text processors and
 *    `text_shout.sh`, a bash script run as a subprocess plugin.
 * 4. Hot reload: a new operator plugin is added while the host watches, then
 *    rebuilt (the new build serves the next call), then replaced by a build
 *    whose init fails (refused; the previous build keeps serving), then
 *    removed.
 *
 * The task builds the samples first (`deno task build && deno run -A
 * tasks/demo.ts`); the reload step compiles its plugin with the project's
 * build task.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineInterface } from "../mod.ts";
import { type LogRecord, PluginHost, prettySink } from "../src/host/mod.ts";
import { runCli } from "../src/cli/main.ts";
import { buildPlugin } from "./build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
const bold = (s: string) => color ? `\x1b[1m${s}\x1b[22m` : s;
const dim = (s: string) => color ? `\x1b[2m${s}\x1b[22m` : s;

const CalcOp = defineInterface("calc.op", "1.0", {
  name: "cstring name()",
  apply: "fallible f64 apply(f64 a, f64 b)",
});

/** The operator added while the host runs; `VERSION` 1 refuses negative exponents. */
const POW_C = `/* calc-pow: x ^ n for an integer n, by repeated multiplication. */
#include "plugboard.h"

#define STR_(x) #x
#define STR(x) STR_(x)
PLUGBOARD_PLUGIN("calc-pow", "0." STR(VERSION) ".0");
PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);

#if BROKEN
static int32_t pow_init(void) { return pb_fail(1, "this build is broken on purpose"); }
PLUGBOARD_INIT(pow_init);
#endif

PLUGBOARD_FN(calc_op, pb_cstring, name, (void)) { return "^"; }

PLUGBOARD_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 x, pb_f64 n)) {
  if (n != (double)(long long)n) return pb_fail(1, "the exponent must be an integer");
#if VERSION < 2
  if (n < 0) return pb_fail(2, "negative exponents are not supported in this version");
#endif
  double r = 1;
  for (long long i = 0; i < (n < 0 ? -n : n); i++) r *= x;
  return n < 0 ? 1 / r : r;
}
`;

function heading(text: string): void {
  console.log(`\n${bold(text)}`);
}

function shell(line: string): void {
  console.log(dim(`$ ${line}`));
}

async function cli(args: string[]): Promise<void> {
  shell(`plugboard ${args.map((a) => /[\s;*^()]/.test(a) ? JSON.stringify(a) : a).join(" ")}`);
  await runCli(args, { out: (l) => console.log(l), err: (l) => console.log(l), color });
}

const tmp = await Deno.makeTempDir({ prefix: "plugboard-demo-" });
const home = Deno.cwd();
try {
  Deno.chdir(tmp);
  await Deno.mkdir("plugins");
  for (
    const name of [
      "calc_add",
      "calc_div",
      "calc_mul",
      "calc_sub",
      "text_base64",
      "text_reverse",
      "text_upper",
    ]
  ) {
    await Deno.copyFile(join(ROOT, "build", `${name}.so`), join("plugins", `${name}.so`));
  }
  // Subprocess plugins: a program and its metadata sidecar each.
  for (const name of ["text_shout.sh", "calc_mod.sh"]) {
    for (const file of [name, `${name}.plugboard.json`]) {
      await Deno.copyFile(join(ROOT, "plugins", "rpc", file), join("plugins", file));
    }
  }
  await Deno.writeTextFile("plugins/notes.so", "remember to buy milk\n");
  await Deno.copyFile(join(ROOT, "build", "fixtures", "plain.so"), "plugins/plain.so");

  heading("1. Discovery: every file is checked before anything of it runs");
  shell("ls plugins");
  console.log([...Deno.readDirSync("plugins")].map((e) => e.name).sort().join("  "));
  const records: LogRecord[] = [];
  const pretty = prettySink((l) => console.log(`  ${l}`), { color, time: false, minLevel: "info" });
  const show = new Set(["load", "skip", "discover", "reload", "close", "remove"]);
  let quiet = true;
  const host = new PluginHost({
    paths: ["plugins"],
    env: false,
    loadOptions: { isolation: "auto" },
    log(r) {
      records.push(r);
      if (!quiet && show.has(r.event)) pretty(r);
    },
  });
  console.log(
    dim(
      '> new PluginHost({ paths: ["plugins"], loadOptions: { isolation: "auto" }, log: prettySink(...) }).discover()',
    ),
  );
  quiet = false;
  const summary = await host.discover();
  console.log(
    `found ${summary.found}, loaded ${summary.loaded}, skipped ${summary.skipped.length}: ${
      summary.skipped.map((s) => `${s.path.replace("plugins/", "")} [${s.code}]`).join(", ")
    }`,
  );

  heading("2. plugboard calc: each operator is a plugin");
  console.log("calc_mod.sh is a bash script run as a process for each call (docs/subprocess.md)");
  await cli(["calc", "--dir", "plugins", "10 / 5; 3 * 4; (1 + 2) * 4; 17 % 5; 1 / 0; 2 ^ 10"]);

  heading("3. plugboard pipe: every text.processor, in file-name order");
  console.log(
    "text_shout.sh is a bash script speaking plugboard-rpc/1 as its own process (docs/subprocess.md)",
  );
  await cli(["pipe", "--dir", "plugins", "--steps", "Hello, plugboard"]);

  heading("4. Hot reload while the host runs");
  await using _watcher = host.watch({ debounceMs: 50 });
  console.log(dim("> host.watch({ debounceMs: 50 })"));
  await Deno.mkdir("builds");
  await Deno.writeTextFile("builds/calc_pow.c", POW_C);
  const build = async (version: number, broken = false) => {
    const output = join(tmp, "builds", `calc_pow-${version}${broken ? "-broken" : ""}.so`);
    await buildPlugin({
      source: join(tmp, "builds", "calc_pow.c"),
      output,
      sdkDir: join(ROOT, "native"),
      defines: { VERSION: String(version), BROKEN: broken ? "1" : "0" },
    });
    return output;
  };
  const deploy = async (file: string) => {
    await Deno.copyFile(file, "plugins/.calc_pow.so.tmp");
    await Deno.rename("plugins/.calc_pow.so.tmp", "plugins/calc_pow.so");
  };
  const next = (event: string, version?: string) => {
    const seen = records.length;
    return new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (
          records.slice(seen).some((r) => r.event === event && (!version || r.version === version))
        ) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
  };
  const pow = async (x: number, n: number) => {
    const [p] = host.plugins(CalcOp).filter((p) => p.name === "calc-pow");
    const label = `calc-pow ${p?.version ?? "(none)"}`;
    try {
      if (!p) throw new Error("no calc-pow plugin");
      console.log(`  ${x} ^ ${n} = ${(await p.use(CalcOp)).apply(x, n)}  ${dim(`(${label})`)}`);
    } catch (e) {
      const err = e as { code?: string; summary?: string; message: string };
      console.log(
        `  ${x} ^ ${n}: error[${err.code ?? "ERROR"}] ${err.summary ?? err.message}  ${
          dim(`(${label})`)
        }`,
      );
    }
  };

  shell("cc ... calc_pow.c -o plugins/calc_pow.so    # version 0.1.0 added");
  let seen = next("load", "0.1.0");
  await deploy(await build(1));
  await seen;
  await pow(2, 10);
  await pow(2, -2);

  shell("cc ... calc_pow.c -o plugins/calc_pow.so    # version 0.2.0: negative exponents");
  seen = next("close", "0.1.0");
  await deploy(await build(2));
  await seen;
  await pow(2, -2);

  shell("cc ... calc_pow.c -o plugins/calc_pow.so    # version 0.3.0, whose init fails");
  seen = next("reload");
  await deploy(await build(3, true));
  await seen;
  await pow(2, -2);

  shell("rm plugins/calc_pow.so");
  seen = next("close", "0.2.0");
  await Deno.remove("plugins/calc_pow.so");
  await seen;
  console.log(`  calc.op plugins now: ${host.plugins(CalcOp).map((p) => p.name).join(", ")}`);

  quiet = true;
  const closed = await host.close();
  heading("Done");
  console.log(
    `host closed: ${closed.closed} plugins closed in reverse order, ${closed.kept.length} left mapped; see docs/host.md`,
  );
} finally {
  Deno.chdir(home);
  await Deno.remove(tmp, { recursive: true });
}
