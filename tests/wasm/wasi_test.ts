import { assert, assertEquals, assertMatch, assertThrows } from "../_assert.ts";
import {
  CallError,
  defineInterface,
  inspectPlugin,
  LoadError,
  openPluginSync,
  PluginError,
  type WasiOptions,
} from "../../mod.ts";
import { built } from "./_build.ts";

const Wasi = defineInterface("test.wasi", "1.0", {
  env: "cstring env(cstring name)",
  args: "fallible cstring args()",
  now_ms: "fallible f64 now_ms()",
  read_file: "fallible cstring read_file(cstring path)",
  write_file: "fallible i32 write_file(cstring path, cstring text)",
  say: "i32 say(cstring text)",
});

const path = await built("wasi");
const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "plugboard-wasi-" }));
const data = `${dir}/data`;
Deno.mkdirSync(data);
Deno.writeTextFileSync(`${data}/in.txt`, "hello from a file");
Deno.writeTextFileSync(`${dir}/secret.txt`, "not for plugins");
Deno.symlinkSync(`${dir}/secret.txt`, `${data}/link`);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function open(wasi: WasiOptions) {
  return openPluginSync(path, { interfaces: [Wasi], wasm: { wasi } }).use(Wasi);
}

/** The plugin's error for a call that fails: its errno and message. */
function failure(f: () => unknown): [number | undefined, string] {
  const err = assertThrows(f, CallError);
  assertEquals(err.code, "CALL_FAILED");
  return [err.pluginCode, err.summary.slice(err.summary.indexOf("failed: ") + 8)];
}

Deno.test("a module that imports WASI is refused without a grant, naming its imports", () => {
  assertEquals(inspectPlugin(path).imports.slice(0, 3), [
    "wasi_snapshot_preview1.args_get",
    "wasi_snapshot_preview1.args_sizes_get",
    "wasi_snapshot_preview1.environ_get",
  ]);
  const err = assertThrows(() => openPluginSync(path), LoadError);
  assertEquals(err.code, "IMPORT_DENIED");
  assertEquals(
    err.summary,
    `Cannot load plugin "${path}": the module imports WASI, which the host did not grant: expected no imports (WASI only with the option wasm: { wasi: {...} }), found 15 WASI imports: wasi_snapshot_preview1.args_get, wasi_snapshot_preview1.args_sizes_get, wasi_snapshot_preview1.environ_get, wasi_snapshot_preview1.environ_sizes_get, wasi_snapshot_preview1.clock_time_get, wasi_snapshot_preview1.fd_close, wasi_snapshot_preview1.fd_fdstat_get, wasi_snapshot_preview1.fd_fdstat_set_flags, and 7 more`,
  );
  assertMatch(err.hint ?? "", /grant WASI with \{ wasm: \{ wasi: \{ \.\.\. \} \} \}/);
});

Deno.test("the samples import nothing, so they need no grant", async () => {
  for (const name of ["greeter", "myfunction", "calc_div", "trap", "hog"]) {
    assertEquals(inspectPlugin(await built(name)).imports, [], name);
  }
});

Deno.test("with a grant, the plugin sees only the environment and arguments given", () => {
  const f = open({ env: { NAME: "Ada" }, args: ["demo", "--fast", "x y"] });
  assertEquals(f.env("NAME"), "Ada");
  assertEquals(f.env("HOME"), null, "not the host's environment");
  assertEquals(f.env("PATH"), null);
  assertEquals(f.args(), "demo --fast x y");
  const empty = open({});
  assertEquals([empty.env("NAME"), empty.args()], [null, ""]);
});

Deno.test("the clock only when granted", () => {
  assertEquals(failure(() => open({}).now_ms()), [76, "clock_gettime: Capabilities insufficient"]);
  const before = Date.now();
  const now = open({ clock: true }).now_ms();
  assert(now >= before - 1 && now <= Date.now() + 1, `${now} is now`);
});

Deno.test("files only inside preopened directories, read-only unless granted", async (t) => {
  const read = open({ preopens: { "/data": data } });
  await t.step("reading a granted file", () => {
    assertEquals(read.read_file("/data/in.txt"), "hello from a file");
    assertEquals(read.read_file("/data/./sub/../in.txt"), "hello from a file");
  });
  const denied: [string, string][] = [
    ["/data/../secret.txt", "a path above the directory"],
    ["/data/link", "a symbolic link out of it"],
    [`${dir}/secret.txt`, "a host path"],
    ["/etc/passwd", "another directory"],
  ];
  for (const [file, what] of denied) {
    await t.step(`refused: ${what}`, () => {
      assertEquals(failure(() => read.read_file(file)), [
        76,
        `${file}: Capabilities insufficient`,
      ]);
    });
  }
  await t.step("a missing file", () => {
    assertEquals(failure(() => read.read_file("/data/none.txt")), [
      44,
      "/data/none.txt: No such file or directory",
    ]);
  });
  await t.step("writing needs write: true", () => {
    assertEquals(failure(() => read.write_file("/data/out.txt", "x")), [
      76,
      "/data/out.txt: Capabilities insufficient",
    ]);
    const write = open({ preopens: { "/data": { path: data, write: true } } });
    assertEquals(write.write_file("/data/out.txt", "written"), 7);
    assertEquals(Deno.readTextFileSync(`${data}/out.txt`), "written");
    assertEquals(write.read_file("/data/out.txt"), "written");
    assertEquals(failure(() => write.write_file("/data/../escape.txt", "x"))[0], 76);
  });
});

Deno.test("standard output goes where the host says", () => {
  const lines: [number, string][] = [];
  const f = open({ output: (fd, bytes) => lines.push([fd, new TextDecoder().decode(bytes)]) });
  assertEquals(f.say("hello"), 6);
  assertEquals(f.say("again"), 6);
  assertEquals(lines, [[1, "hello\n"], [1, "again\n"]]);
  assertEquals(open({ output: "ignore" }).say("quiet"), 6);
});

Deno.test("a grant of a directory that is not there is USAGE", () => {
  const err = assertThrows(
    () => openPluginSync(path, { wasm: { wasi: { preopens: { "/data": `${dir}/none` } } } }),
    PluginError,
  );
  assertEquals(err.code, "USAGE");
  assertMatch(
    err.summary,
    /^Invalid option wasm\.wasi\.preopens\["\/data"\]: expected a directory/,
  );
});
