/**
 * The new commands run with exactly the permissions their help names, as
 * processes, and a missing one is refused naming the flag to add.
 */
import { assertEquals } from "../_assert.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";
import { cliProcess, copyInto, keygen, tempDir } from "./_signing.ts";

const DENO = Deno.realPathSync(Deno.execPath());

Deno.test("keygen, sign, trust --publisher, describe and probe with their least permissions", async (t) => {
  const dir = tempDir();
  const acme = await keygen(dir, "acme");
  const greeter = copyInto(plugin("greeter"), dir, "greeter.so");
  const lock = `${dir}/plugboard.lock`;
  const rw = [`--allow-read=${dir}`, `--allow-write=${dir}`];
  const ok = async (flags: string[], ...args: string[]) => {
    const r = await cliProcess(args, { flags, cwd: dir });
    assertEquals([r.code, r.err], [0, []], r.out.join("\n"));
    return r.out;
  };

  await t.step("sign: read and write in the plugin's directory", async () => {
    await ok(rw, "sign", greeter, "--key", acme.path);
  });
  await t.step("sign without --allow-write: PERMISSION_DENIED, naming the flag", async () => {
    const r = await cliProcess(["sign", greeter, "--key", acme.path], {
      flags: [`--allow-read=${dir}`],
    });
    assertEquals(r, {
      code: 1,
      out: [],
      err: [
        `error[PERMISSION_DENIED]: Cannot write "${greeter}.sig": Deno's permissions do not allow writing there: expected write permission for ${dir}, found none`,
        `hint: run Deno with --allow-write=${dir}`,
      ],
    });
  });
  await t.step("trust --publisher: read and write in the lockfile's directory", async () => {
    await ok(rw, "trust", "--publisher", acme.pub, "--for", "greeter@^0.1", "--lock", lock);
  });
  await t.step("trust --list-publishers: read the lockfile", async () => {
    assertEquals(
      (await ok([`--allow-read=${lock}`], "trust", "--list-publishers", "--lock", lock)).length,
      3,
    );
  });
  await t.step("verify of the signed plugin: read", async () => {
    await ok([`--allow-read=${dir}`], "verify", greeter, "--lock", lock, "--no-cache");
  });
  await t.step("describe: read; --run adds --allow-run for Deno and --allow-ffi", async () => {
    const program = copyInto(`${ROOT}/tests/cli/fixtures/describe_marker.sh`, dir, "marker.sh");
    Deno.chmodSync(program, 0o755);
    copyInto(
      `${ROOT}/tests/cli/fixtures/describe_marker.sh.plugboard.json`,
      dir,
      "marker.sh.plugboard.json",
    );
    await ok([`--allow-read=${dir}`], "describe", program);
    const r = await cliProcess(["describe", program, "--run", "--write"], {
      flags: [...rw, `--allow-run=${DENO}`, "--allow-ffi"],
    });
    assertEquals([r.code, r.err, r.out.at(-1)], [0, [], `wrote ${program}.plugboard.json`]);
  });
  await t.step("probe: read, write the list's directory, run Deno, FFI", async () => {
    const p = copyInto(fixture("sandbox_init"), dir, "sandbox_init.so");
    await ok(
      [...rw, `--allow-run=${DENO}`, "--allow-ffi"],
      "probe",
      p,
      "--quarantine",
      `${dir}/q.json`,
    );
  });
});
