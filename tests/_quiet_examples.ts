/**
 * Preloaded by `deno task test` (`--preload`): in the modules `deno test
 * --doc` makes of JSDoc examples (`file.ts#10-20.ts`), `console.log` and its
 * siblings print nothing, so the examples, which show their results with
 * `console.log(x); // result`, leave no "post-test output" blocks. Warnings
 * and errors still print; regular tests are untouched.
 *
 * @module
 */

if (/#\d+-\d+\.\w+$/.test(Deno.mainModule)) {
  const quiet = () => {};
  for (const method of ["log", "info", "debug", "table", "dir", "dirxml"] as const) {
    console[method] = quiet;
  }
}
