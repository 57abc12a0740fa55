import { assertEquals } from "../_assert.ts";
import { captureCli } from "../_cli.ts";
import { ROOT } from "../_paths.ts";
import { PACKAGE_VERSION, SDK_FILES } from "../../src/cli/_sdk_files.ts";
import { SDK_FILES_MODULE, sdkFilesModule } from "../../tasks/sdk_files.ts";

Deno.test("src/cli/_sdk_files.ts is up to date with native/ and deno.json (deno task sdk:files)", async () => {
  const current = await Deno.readTextFile(`${ROOT}/${SDK_FILES_MODULE}`);
  assertEquals(current, await sdkFilesModule(), "run `deno task sdk:files`");
});

Deno.test("the embedded version is deno.json's, and every native/ file is embedded", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assertEquals(PACKAGE_VERSION, config.version);
  assertEquals(SDK_FILES["plugboard.h"], await Deno.readTextFile(`${ROOT}/native/plugboard.h`));
  for (
    const name of [
      "cpp/plugboard.hpp",
      "rust/plugboard.rs",
      "rust/build.rs",
      "go/go.mod",
      "go/plugboard/plugboard.go",
      "go/plugboard/plugboard.c",
      "go/plugboard/plugboard_go.h",
    ]
  ) {
    assertEquals(SDK_FILES[name], await Deno.readTextFile(`${ROOT}/native/${name}`), name);
  }
});

Deno.test("plugboard header writes a language's SDK files, and leaves equal ones alone", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-header-" });
  const cli = async (...args: string[]) => await captureCli(["header", ...args]);
  await t.step("C: plugboard.h", async () => {
    assertEquals(await cli(dir), { code: 0, out: [`wrote ${dir}/plugboard.h`], err: [] });
    assertEquals(await Deno.readTextFile(`${dir}/plugboard.h`), SDK_FILES["plugboard.h"]);
    assertEquals((await cli(dir)).out, [`${dir}/plugboard.h is up to date`]);
  });
  await t.step("a changed copy is replaced", async () => {
    await Deno.writeTextFile(`${dir}/plugboard.h`, "/* old */\n");
    assertEquals((await cli(dir)).out, [`replaced ${dir}/plugboard.h`]);
  });
  await t.step("C++, Rust and Go", async () => {
    assertEquals((await cli(dir, "--lang", "cpp")).out, [
      `${dir}/plugboard.h is up to date`,
      `wrote ${dir}/plugboard.hpp`,
    ]);
    assertEquals((await cli(`${dir}/rs`, "--lang=rust")).out, [
      `wrote ${dir}/rs/plugboard.rs`,
      `wrote ${dir}/rs/build.rs`,
    ]);
    assertEquals((await cli(`${dir}/go`, "--lang", "go", "--json")).out, [JSON.stringify({
      language: "go",
      files: [
        { path: `${dir}/go/plugboard.h`, status: "wrote" },
        { path: `${dir}/go/go/go.mod`, status: "wrote" },
        { path: `${dir}/go/go/plugboard/plugboard.c`, status: "wrote" },
        { path: `${dir}/go/go/plugboard/plugboard.go`, status: "wrote" },
        { path: `${dir}/go/go/plugboard/plugboard_go.h`, status: "wrote" },
      ],
    })]);
  });
  await t.step("an unknown language", async () => {
    assertEquals(await cli(dir, "--lang", "java"), {
      code: 2,
      out: [],
      err: [
        'error[USAGE]: --lang "java" is not one of c, cpp, rust, go',
        "hint: see plugboard header --help",
      ],
    });
  });
  await Deno.remove(dir, { recursive: true });
});
