/**
 * Helpers shared by the host tests: temporary plugin directories, a log
 * recorder that can wait for a record, the interfaces of the sample plugins,
 * and generated "generation" plugins for reload tests.
 *
 * @module
 */

import { join } from "node:path";
import { defineInterface } from "../../src/abi/define_interface.ts";
import type { LogRecord, LogSink } from "../../src/log/log_record.ts";
import { buildPlugin } from "../../tasks/build.ts";
import { fixture, plugin, ROOT } from "../_paths.ts";

/** The calculator interface of plugins/calc_*.c, as the calc app declares it. */
export { CalcOp } from "../../src/cli/calc_command.ts";

/** The greeter interface of plugins/greeter.c and most fixtures. */
export const Greeter = defineInterface("greeter", "1.0", { greet: "cstring greet(cstring name)" });

/** The interface of tests/fixtures/host_hook_*.c. */
export const Hook = defineInterface("host.hook", "1.0", { which: "cstring which()" });

/** The interface of the generated plugins of {@linkcode buildGeneration}. */
export const Gen = defineInterface("host.gen", "1.0", {
  generation: "i32 generation()",
  generation_slow: "nonblocking i32 generation_slow(i32 ms)",
  generation_wait: "nonblocking i32 generation_wait(cstring gate)",
});

/**
 * A fresh temporary directory.
 *
 * @param prefix a prefix for its name
 * @returns its path
 */
export function tempDir(prefix = "plugboard-host-"): Promise<string> {
  return Deno.makeTempDir({ prefix });
}

/** What to put in a directory: a built plugin to copy, text, a symlink target or a copy of a file. */
export type FileSpec =
  | { plugin: string }
  | { fixture: string }
  | { text: string }
  | { copy: string; mode?: number }
  | { symlink: string };

/**
 * Fill a directory.
 *
 * @param dir the directory
 * @param files file name to what it holds
 * @returns the directory
 */
export async function populate(dir: string, files: Record<string, FileSpec>): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, spec] of Object.entries(files)) {
    const to = join(dir, name);
    if ("plugin" in spec) await Deno.copyFile(plugin(spec.plugin), to);
    else if ("fixture" in spec) await Deno.copyFile(fixture(spec.fixture), to);
    else if ("text" in spec) await Deno.writeTextFile(to, spec.text);
    else if ("symlink" in spec) await Deno.symlink(spec.symlink, to);
    else {
      await Deno.copyFile(spec.copy, to);
      if (spec.mode !== undefined) await Deno.chmod(to, spec.mode);
    }
  }
  return dir;
}

/** A log sink that keeps every record and can wait for one. */
export interface Recorder {
  /** Every record so far. */
  records: LogRecord[];
  /** The sink to give the host. */
  sink: LogSink;
  /** Records of one event. */
  events(event: string): LogRecord[];
  /**
   * Wait for a record (already received or still to come).
   *
   * @param match the test
   * @param what a description for the timeout message
   * @param timeoutMs how long to wait
   */
  waitFor(match: (r: LogRecord) => boolean, what: string, timeoutMs?: number): Promise<LogRecord>;
}

/**
 * Make a recorder.
 *
 * @returns the recorder
 */
export function recorder(): Recorder {
  const records: LogRecord[] = [];
  const waiters: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  return {
    records,
    sink(r) {
      records.push(r);
      for (const w of [...waiters]) {
        if (w.match(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
      }
    },
    events: (event) => records.filter((r) => r.event === event),
    waitFor(match, what, timeoutMs = 10_000) {
      const seen = records.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (r: LogRecord) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
  };
}

/** The C source of the generated plugins: `generation()` returns GEN. */
export const GENERATION_C = `/* A generated plugin for the host's reload tests. */
#include "plugboard.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#ifndef ABI_MAJOR
#define ABI_MAJOR 1
#endif
#undef PLUGBOARD_ABI_MAJOR
#define PLUGBOARD_ABI_MAJOR ABI_MAJOR

#define STR_(x) #x
#define STR(x) STR_(x)
PLUGBOARD_PLUGIN(NAME, "1.0." STR(GEN));
PLUGBOARD_INTERFACE(gen, "host.gen", 1, 0);

#if INIT_FAILS
static int32_t gen_init(void) { return pb_fail(3, "generation %d refuses to start", GEN); }
PLUGBOARD_INIT(gen_init);
#endif

#if SIGCHANGE
PLUGBOARD_FN(gen, pb_i64, generation, (void)) { return GEN; }
#else
PLUGBOARD_FN(gen, pb_i32, generation, (void)) { return GEN; }
#endif

PLUGBOARD_FN(gen, pb_i32, generation_slow, (pb_i32 ms)) {
  struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  return GEN;
}

/* Returns once the file at gate exists (checked every millisecond). */
PLUGBOARD_FN(gen, pb_i32, generation_wait, (pb_cstring gate)) {
  while (access(gate, F_OK) != 0) {
    struct timespec ms = {0, 1000000L};
    nanosleep(&ms, NULL);
  }
  return GEN;
}
`;

/** Variants of the generated plugin. */
export interface GenerationOptions {
  /** The plugin's name (and memfd name). @default "host-gen" */
  name?: string;
  /** Make init fail. @default false */
  initFails?: boolean;
  /** Declare `generation` with another result type. @default false */
  sigchange?: boolean;
  /** Build as ABI major 2. @default false */
  abi2?: boolean;
}

/**
 * Build a generated plugin with the project's build task.
 *
 * @param dir where to write the source and the output
 * @param gen the generation number `generation()` returns
 * @param options variants
 * @returns the built file
 */
export async function buildGeneration(
  dir: string,
  gen: number,
  options: GenerationOptions = {},
): Promise<string> {
  const source = join(dir, "generation.c");
  try {
    await Deno.lstat(source);
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(source, GENERATION_C);
  }
  const tag = `${options.initFails ? "-initfail" : ""}${options.sigchange ? "-sig" : ""}${
    options.abi2 ? "-abi2" : ""
  }`;
  const output = join(dir, `gen-${gen}${tag}.so`);
  await buildPlugin({
    source,
    output,
    sdkDir: join(ROOT, "native"),
    defines: {
      NAME: JSON.stringify(options.name ?? "host-gen"),
      GEN: String(gen),
      INIT_FAILS: options.initFails ? "1" : "0",
      SIGCHANGE: options.sigchange ? "1" : "0",
      ...(options.abi2 ? { ABI_MAJOR: "2" } : {}),
    },
  });
  return output;
}

/**
 * Put a built file in place under a new name by copying it next to the
 * target, then renaming (so the target is replaced by a new inode, as a
 * build does).
 *
 * @param from the built file
 * @param to where it goes
 */
export async function deploy(from: string, to: string): Promise<void> {
  const tmp = `${to}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.copyFile(from, tmp);
  await Deno.rename(tmp, to);
}

/**
 * The distinct inodes of the memfd mappings of one plugin name in this
 * process (`/memfd:plugboard:<name> (deleted)` in /proc/self/maps).
 *
 * @param name the plugin's name
 * @returns the inodes
 */
export function mappedBuilds(name: string): Set<string> {
  const inodes = new Set<string>();
  for (const line of Deno.readTextFileSync("/proc/self/maps").split("\n")) {
    if (!line.includes(`/memfd:plugboard:${name} `) && !line.endsWith(`/memfd:plugboard:${name}`)) {
      continue;
    }
    inodes.add(line.split(/\s+/)[4]);
  }
  return inodes;
}
