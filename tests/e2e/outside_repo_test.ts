/**
 * The user's path, end to end, from an empty directory outside the
 * repository, with the package imported by its JSR name through an import
 * map that points at the package served over HTTP (only the files a publish
 * includes): `plugboard new`, the build the scaffold names, `plugboard
 * bindgen`, the generated host, `plugboard trust` and `plugboard verify`, in
 * C, C++, Rust and Go. Every command runs as its own `deno run` with exactly
 * the permissions the project's deno.json tasks (and docs/authoring.md)
 * state, which are also checked to be needed.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { GO_ENV, goCommand, goVersion, type Ran, run, rustVersion } from "../sdk/_toolchain.ts";
import { servePackage } from "./_package_server.ts";

const CLI = "@plugboard/plugboard/cli";

/** What every host prints, per interface template. */
function hostOutput(name: string): string {
  return [
    `${name} 0.1.0`,
    `name() = "${name}"`,
    "add(2, 3) = 5",
    "divide(1, 4) = 0.25",
    "divide(1, 0) failed: CALL_FAILED (plugin code 1)",
    "",
  ].join("\n");
}

Deno.test("outside the repo, as a JSR user: new, build, bindgen, host, trust, verify in C, C++, Rust and Go", async (t) => {
  await using server = servePackage();
  const work = await Deno.makeTempDir({ prefix: "plugboard-e2e-" });
  // A Deno cache of its own: every module comes from the server, as from JSR.
  const env = { DENO_DIR: `${work}/.deno-cache`, NO_COLOR: "1" };
  const importMap = `${work}/import_map.json`;
  await Deno.writeTextFile(importMap, JSON.stringify({ imports: server.imports }, null, 2));
  const allowImport = `--allow-import=${server.host}`;

  /** `deno ARGS` in a directory. */
  const deno = (args: string[], cwd: string): Promise<Ran> =>
    run(Deno.execPath(), args, { cwd, env });
  /** A deno.json task of the project, as `deno run` with its flags (and the server's host). */
  const task = async (dir: string, name: string): Promise<Ran> => {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
    const [program, subcommand, ...rest] = (config.tasks[name] as string).split(" ");
    if (program !== "deno") {
      return await run(program, rest.length ? [subcommand, ...rest] : [subcommand], { cwd: dir });
    }
    return await deno([subcommand, allowImport, ...rest], dir);
  };
  const ok = (r: Ran, what: string) =>
    assertEquals(r.code, 0, `${what} failed:\n${r.stderr}${r.stdout}`);
  const timings: string[] = [];
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await f();
    } finally {
      timings.push(`${what} ${Math.round(performance.now() - started)} ms`);
    }
  };

  const languages = [
    { lang: "c", name: "kvc" },
    { lang: "cpp", name: "kvcpp" },
    { lang: "rust", name: "kvrust" },
    { lang: "go", name: "kvgo" },
  ];
  for (const { lang, name } of languages) {
    await t.step(lang, async () => {
      const top = `${work}/${lang}`;
      await Deno.mkdir(top);
      // 1. plugboard new, from the empty directory (the import map on the command line).
      const created = await timed(`${lang} new`, () =>
        deno([
          "run",
          "--allow-read=.",
          "--allow-write=.",
          allowImport,
          `--import-map=${importMap}`,
          CLI,
          "new",
          name,
          "--lang",
          lang,
        ], top));
      ok(created, "plugboard new");
      assertEquals(
        created.stdout.split("\n")[0],
        `created ${name} (${lang}, interface ${name}/1.0) in ${name}/:`,
      );
      const dir = `${top}/${name}`;
      // The user maps the JSR name; here it points at the server.
      const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
      assertEquals(config.imports["@plugboard/plugboard"], "jsr:@plugboard/plugboard@^0.1.0");
      config.imports = server.imports;
      await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config, null, 2));

      // 2. The build the scaffold names.
      const so = lang === "rust" ? `target/release/lib${name}.so` : `${name}.so`;
      if (lang === "rust") await rustVersion();
      if (lang === "go") {
        await goVersion();
        const r = await timed(
          `${lang} build`,
          () =>
            run(goCommand(), ["build", "-buildmode=c-shared", "-o", `${name}.so`, "."], {
              cwd: dir,
              // Offline, and no toolchain download: the scaffold's go.mod must suffice.
              env: { GOPROXY: GO_ENV.GOPROXY, GOTOOLCHAIN: GO_ENV.GOTOOLCHAIN, CGO_ENABLED: "1" },
            }),
        );
        ok(r, "go build");
      } else {
        ok(await timed(`${lang} build`, () => task(dir, "build")), "the build task");
      }
      if (lang === "c" || lang === "cpp") {
        const again = await task(dir, "build");
        assertMatch(again.stdout, new RegExp(`^${name}\\.so is up to date \\(`));
      }

      // 3. plugboard bindgen: the same declarations `new` wrote.
      const written = await Deno.readTextFile(`${dir}/bindings.ts`);
      const bound = await timed(`${lang} bindgen`, () => task(dir, "bindgen"));
      ok(bound, "plugboard bindgen");
      assertEquals(bound.stdout, `wrote bindings.ts: ${interfaceName(name)} (${name}/1.0)\n`);
      const generated = await Deno.readTextFile(`${dir}/bindings.ts`);
      assertMatch(
        generated,
        new RegExp(
          `^// Generated by \`plugboard bindgen\` from ${
            so.replace(/\./g, "\\.")
          }: plugin ${name} 0\\.1\\.0,\n// SHA-256 [0-9a-f]{64}`,
        ),
      );
      assertEquals(withoutComment(generated), withoutComment(written));

      // 4. The generated host, with --allow-read=. --allow-ffi.
      if (lang === "c") {
        // It type-checks against the package as served.
        ok(
          await timed(`${lang} check`, () => deno(["check", allowImport, "host.ts"], dir)),
          "deno check host.ts",
        );
      }
      const host = await timed(`${lang} host`, () => task(dir, "host"));
      assertEquals([host.code, host.stdout, host.stderr], [0, hostOutput(name), ""]);

      // 5. plugboard trust and verify.
      const trusted = await timed(`${lang} trust`, () => task(dir, "trust"));
      ok(trusted, "plugboard trust");
      assertMatch(
        trusted.stdout,
        new RegExp(
          `^added ${name}@0\\.1\\.0 ${
            so.replace(/\./g, "\\.")
          } \\(sha256 [0-9a-f]{12}…\\)\nwrote plugboard\\.lock: 1 added, 0 updated, 0 unchanged\n$`,
        ),
      );
      const verified = await timed(`${lang} verify`, () => task(dir, "verify"));
      assertEquals([verified.code, verified.stdout, verified.stderr], [
        0,
        `ok ${name}@0.1.0 ${so}\n1 file(s) checked against plugboard.lock: 1 ok, 0 failed\n`,
        "",
      ]);

      if (lang === "c") {
        // The other commands' least permissions, and that less is refused.
        const cli = (flags: string[], ...args: string[]) =>
          deno(["run", ...flags, allowImport, CLI, ...args], dir);
        const inspect = await cli(["--allow-read=."], "inspect", so);
        ok(inspect, "plugboard inspect");
        const call = await cli(["--allow-read=.", "--allow-ffi"], "call", so, "add", "2", "-5");
        assertEquals([call.code, call.stdout, call.stderr], [
          0,
          "-3\n",
          "using lockfile ./plugboard.lock (--no-lock to ignore it)\n",
        ]);
        // Isolated, the child runs the copy of plugboard the CLI was imported as
        // (cached, --cached-only): no FFI for the host, nothing fetched twice.
        const isolated = await cli(
          ["--allow-read=.", `--allow-run=${Deno.execPath()}`],
          "call",
          "--isolate",
          so,
          "add",
          "2",
          "-5",
        );
        assertEquals([isolated.code, isolated.stdout, isolated.stderr], [
          0,
          "-3\n",
          "using lockfile ./plugboard.lock (--no-lock to ignore it)\n",
        ]);
        const noFfi = await deno(["run", "--allow-read=.", allowImport, "host.ts"], dir);
        assert(noFfi.code !== 0, "the host needs --allow-ffi");
        assertMatch(noFfi.stderr, /--allow-ffi/);
        const noRun = await cli(
          ["--allow-read=.", "--allow-write=."],
          "build",
          `${name}.c`,
          "-o",
          "other.so",
        );
        assertEquals(noRun.code, 1);
        assertMatch(
          noRun.stderr,
          /^error\[BUILD_FAILED\]: Cannot run compiler "cc": Deno's permissions do not allow running it\nhint: run again with --allow-run=cc\n$/,
        );
        const noWrite = await cli(["--allow-read=."], "trust", so);
        assertEquals(noWrite.code, 1);
        assertMatch(
          noWrite.stderr,
          /^error\[PERMISSION_DENIED\]: .*\nhint: run again with --allow-write=/,
        );
      }
    });
  }
  // Nothing outside what a publish includes was asked for.
  assertEquals(server.misses, []);
  if (Deno.env.get("PLUGBOARD_TIMINGS")) console.error(`e2e timings: ${timings.join(", ")}`);
  await Deno.remove(work, { recursive: true });
});

function interfaceName(id: string): string {
  return id[0].toUpperCase() + id.slice(1);
}

/** A bindings module without its leading comment lines. */
function withoutComment(text: string): string {
  return text.split("\n").filter((l) => !l.startsWith("// ")).join("\n");
}
