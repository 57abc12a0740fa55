import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAbiCompatible } from "../../src/abi/abi_version.ts";
import { DESCRIPTOR, ERROR_RECORD } from "../../src/abi/layout.ts";
import {
  NOTE_FUNCTION,
  NOTE_HOOK,
  NOTE_INTERFACE,
  NOTE_PLUGIN,
  NOTE_STRUCT,
} from "../../src/abi/read_metadata.ts";

const NATIVE = fileURLToPath(new URL("../../native/", import.meta.url));

/** A C program (not a plugin) that prints the header's numbers as JSON. */
const PROGRAM = `#include "plugboard.h"
#include <stdio.h>

#define FIELD(type, field) "\\"" #field "\\": %zu"

int main(void) {
  printf("{\\"abi_major\\": %d, \\"abi_minor\\": %d, \\"error_message_max\\": %d,\\n",
         PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR, PLUGBOARD_ERROR_MESSAGE_MAX);
  printf("\\"descriptor\\": {\\"sizeof\\": %zu, " FIELD(d, size) ", " FIELD(d, abi_major) ", "
         FIELD(d, abi_minor) ", " FIELD(d, init) ", " FIELD(d, shutdown) ", "
         FIELD(d, take_error) "},\\n",
         sizeof(plugboard_descriptor), offsetof(plugboard_descriptor, size),
         offsetof(plugboard_descriptor, abi_major), offsetof(plugboard_descriptor, abi_minor),
         offsetof(plugboard_descriptor, init), offsetof(plugboard_descriptor, shutdown),
         offsetof(plugboard_descriptor, take_error));
  printf("\\"error\\": {\\"sizeof\\": %zu, " FIELD(e, code) ", " FIELD(e, length) ", "
         FIELD(e, message) "},\\n",
         sizeof(plugboard_error), offsetof(plugboard_error, code),
         offsetof(plugboard_error, length), offsetof(plugboard_error, message));
  printf("\\"notes\\": [%d, %d, %d, %d, %d],\\n", PLUGBOARD_NOTE_PLUGIN, PLUGBOARD_NOTE_INTERFACE,
         PLUGBOARD_NOTE_FUNCTION, PLUGBOARD_NOTE_HOOK, PLUGBOARD_NOTE_STRUCT);
  printf("\\"compatible\\": [");
  for (int hm = 0; hm < 3; hm++)
    for (int hn = 0; hn < 3; hn++)
      for (int pm = 0; pm < 3; pm++)
        for (int pn = 0; pn < 3; pn++)
          printf("%s%d", hm + hn + pm + pn ? ", " : "", plugboard_abi_is_compatible(hm, hn, pm, pn));
  printf("]}\\n");
  return 0;
}
`;

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${command} ${args.join(" ")} failed:\n${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("plugboard.h has the ABI version, sizes and offsets the host reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plugboard-header-test-" });
  try {
    const source = join(dir, "layout.c");
    const program = join(dir, "layout");
    await Deno.writeTextFile(source, PROGRAM);
    await run(Deno.env.get("CC")?.trim() || "cc", [
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-pedantic",
      `-I${NATIVE}`,
      "-o",
      program,
      source,
    ]);
    const layout = JSON.parse(await run(program, []));
    assert.deepEqual(layout, {
      abi_major: 1,
      abi_minor: 0,
      error_message_max: 512,
      descriptor: {
        sizeof: 32,
        size: 0,
        abi_major: 4,
        abi_minor: 6,
        init: 8,
        shutdown: 16,
        take_error: 24,
      },
      error: { sizeof: 520, code: 0, length: 4, message: 8 },
      notes: [NOTE_PLUGIN, NOTE_INTERFACE, NOTE_FUNCTION, NOTE_HOOK, NOTE_STRUCT],
      compatible: layout.compatible,
    });
    // The host reads the descriptor and the error record through these constants.
    assert.deepEqual(
      [DESCRIPTOR.size, DESCRIPTOR.abiMajor, DESCRIPTOR.abiMinor, DESCRIPTOR.init],
      [
        layout.descriptor.size,
        layout.descriptor.abi_major,
        layout.descriptor.abi_minor,
        layout.descriptor.init,
      ],
    );
    assert.deepEqual(
      [DESCRIPTOR.shutdown, DESCRIPTOR.takeError, DESCRIPTOR.bytes],
      [layout.descriptor.shutdown, layout.descriptor.take_error, layout.descriptor.sizeof],
    );
    assert.deepEqual(
      [ERROR_RECORD.code, ERROR_RECORD.length, ERROR_RECORD.message, ERROR_RECORD.messageMax],
      [layout.error.code, layout.error.length, layout.error.message, layout.error_message_max],
    );
    // plugboard_abi_is_compatible() and isAbiCompatible() are the same rule.
    const expected: number[] = [];
    for (let hm = 0; hm < 3; hm++) {
      for (let hn = 0; hn < 3; hn++) {
        for (let pm = 0; pm < 3; pm++) {
          for (let pn = 0; pn < 3; pn++) {
            expected.push(
              isAbiCompatible({ major: hm, minor: hn }, { major: pm, minor: pn }) ? 1 : 0,
            );
          }
        }
      }
    }
    assert.deepEqual(layout.compatible, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
