/*
 * wasi: a WebAssembly plugin that uses what WASI gives when the host grants
 * it: environment variables, arguments, the clock, files in preopened
 * directories, standard output. Built with its WASI imports kept
 * (tasks/build_wasm.ts, wasi: true), so a host must grant WASI to load it.
 */
#include "plugboard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasi/api.h>

PLUGBOARD_PLUGIN("wasi-demo", "0.1.0");
PLUGBOARD_INTERFACE(wasi_demo, "test.wasi", 1, 0);

/* The value of an environment variable, or NULL. */
PLUGBOARD_FN(wasi_demo, pb_cstring, env, (pb_cstring name)) { return getenv(name); }

/* The arguments the host granted, joined with spaces. */
PLUGBOARD_FALLIBLE_FN(wasi_demo, pb_cstring, args, (void)) {
  static char text[1024];
  static char buf[1024];
  char *argv[32];
  __wasi_size_t argc = 0, size = 0;
  __wasi_errno_t e = __wasi_args_sizes_get(&argc, &size);
  if (e != 0) return pb_fail(e, "args_sizes_get: %s", strerror(e)), NULL;
  if (argc > 32 || size > sizeof buf) return pb_fail(E2BIG, "too many arguments"), NULL;
  e = __wasi_args_get((uint8_t **)argv, (uint8_t *)buf);
  if (e != 0) return pb_fail(e, "args_get: %s", strerror(e)), NULL;
  text[0] = '\0';
  for (__wasi_size_t i = 0; i < argc; i++) {
    if (i > 0) strncat(text, " ", sizeof text - strlen(text) - 1);
    strncat(text, argv[i], sizeof text - strlen(text) - 1);
  }
  return text;
}

/* Milliseconds since the epoch, when the clock is granted. */
PLUGBOARD_FALLIBLE_FN(wasi_demo, pb_f64, now_ms, (void)) {
  struct timespec t;
  if (clock_gettime(CLOCK_REALTIME, &t) != 0) {
    return pb_fail(errno, "clock_gettime: %s", strerror(errno));
  }
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* The first 4095 bytes of a file. */
PLUGBOARD_FALLIBLE_FN(wasi_demo, pb_cstring, read_file, (pb_cstring path)) {
  static char text[4096];
  FILE *f = fopen(path, "r");
  if (f == NULL) return pb_fail(errno, "%s: %s", path, strerror(errno)), NULL;
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

/* Write a file; returns the bytes written. */
PLUGBOARD_FALLIBLE_FN(wasi_demo, pb_i32, write_file, (pb_cstring path, pb_cstring text)) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return pb_fail(errno, "%s: %s", path, strerror(errno));
  int n = fputs(text, f) < 0 ? -1 : (int)strlen(text);
  if (fclose(f) != 0 || n < 0) return pb_fail(errno, "%s: %s", path, strerror(errno));
  return n;
}

/* Print a line on standard output. */
PLUGBOARD_FN(wasi_demo, pb_i32, say, (pb_cstring text)) {
  int n = printf("%s\n", text);
  fflush(stdout);
  return n;
}
