/*
 * plugboard.h - the C SDK for plugboard plugins.
 *
 * A plugin is a shared object (.so) that includes this header and declares:
 *
 *   #include "plugboard.h"
 *
 *   PLUGBOARD_PLUGIN("greeter", "0.1.0");
 *   PLUGBOARD_INTERFACE(greeter, "greeter", 1, 0);
 *
 *   PLUGBOARD_FN(greeter, pb_cstring, greet, (pb_cstring name)) {
 *     static _Thread_local char out[256];
 *     snprintf(out, sizeof out, "Hello, %s", name);
 *     return out;
 *   }
 *
 * Each exported function is declared ONCE. PLUGBOARD_FN turns that one
 * declaration into both the C prototype the body belongs to and the metadata
 * record the host reads, from the very same tokens, so the two cannot drift:
 * a later definition with other types is a C compile error ("conflicting
 * types"), and a type outside the pb_ set below is refused by the host.
 *
 * Metadata lives in ELF notes (section ".note.plugboard", owner "plugboard"),
 * so a host reads it WITHOUT running any code of the file, exactly as tools
 * read the GNU build-id note. The same notes are mapped into memory at load
 * time; plugboard compares both copies before it calls anything.
 *
 * ABI compatibility rule (written once here, and once in src/abi/abi_version.ts;
 * tests check that the two agree):
 *
 *   A host with ABI H.h loads a plugin with ABI P.p when P == H and p <= h.
 *
 * Structs only grow at their end; a field added later is marked with the
 * minor version that added it, and the host reads nothing beyond `size`.
 */
#ifndef PLUGBOARD_H
#define PLUGBOARD_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#define PB_STATIC_ASSERT static_assert
#define PB_THREAD_LOCAL thread_local
#else
#define PB_STATIC_ASSERT _Static_assert
#define PB_THREAD_LOCAL _Thread_local
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** ABI major version: a plugin loads only into a host with the same major. */
#define PLUGBOARD_ABI_MAJOR 1
/** ABI minor version: a plugin loads into hosts whose minor is >= this. */
#define PLUGBOARD_ABI_MINOR 0

/** Maximum bytes of an error message, NUL included (longer ones are cut). */
#define PLUGBOARD_ERROR_MESSAGE_MAX 512

/* ------------------------------------------------------------------------ */
/* Types: the canonical signature language. Each pb_ type is one Deno FFI    */
/* type; the host strips the "pb_" prefix to get the canonical name.         */
/* ------------------------------------------------------------------------ */

typedef bool pb_bool;         /* Deno "bool": TypeScript boolean */
typedef int8_t pb_i8;         /* Deno "i8": number */
typedef uint8_t pb_u8;        /* Deno "u8": number */
typedef int16_t pb_i16;       /* Deno "i16": number */
typedef uint16_t pb_u16;      /* Deno "u16": number */
typedef int32_t pb_i32;       /* Deno "i32": number */
typedef uint32_t pb_u32;      /* Deno "u32": number */
typedef int64_t pb_i64;       /* Deno "i64": bigint result, number|bigint argument */
typedef uint64_t pb_u64;      /* Deno "u64": bigint result, number|bigint argument */
typedef intptr_t pb_isize;    /* Deno "isize": as i64 */
typedef size_t pb_usize;      /* Deno "usize": as u64 */
typedef float pb_f32;         /* Deno "f32": number */
typedef double pb_f64;        /* Deno "f64": number */
typedef void *pb_pointer;     /* Deno "pointer": an opaque address, Deno.PointerValue */
typedef uint8_t *pb_buffer;   /* Deno "buffer" (argument only): a Uint8Array the host lends
                                 for the duration of the call; never keep it after returning */
typedef const char *pb_cstring; /* UTF-8, NUL-terminated. As an argument: the host's string,
                                 valid for the duration of the call. As a result: owned by
                                 the plugin and valid until the next call of the same function
                                 on the same thread (for example a _Thread_local buffer); NULL
                                 reads as null in TypeScript */

/* ------------------------------------------------------------------------ */
/* Errors: the convention for fallible functions                             */
/* ------------------------------------------------------------------------ */

/**
 * The pending error of the calling thread. Owned by the plugin (thread-local);
 * valid until the next call into the plugin on the same thread.
 */
typedef struct plugboard_error {
  int32_t code;                               /* non-zero: the plugin's own error code */
  uint32_t length;                            /* bytes in message, NUL excluded */
  char message[PLUGBOARD_ERROR_MESSAGE_MAX];  /* UTF-8, NUL-terminated */
} plugboard_error;

PB_STATIC_ASSERT(offsetof(plugboard_error, code) == 0, "plugboard_error.code offset");
PB_STATIC_ASSERT(offsetof(plugboard_error, length) == 4, "plugboard_error.length offset");
PB_STATIC_ASSERT(offsetof(plugboard_error, message) == 8, "plugboard_error.message offset");

/**
 * Record an error for the current call of a fallible function and return
 * `code` (so `return pb_fail(...)` reads naturally where the result is an
 * integer). The host turns it into a thrown PluginError with code
 * CALL_FAILED, the plugin's `code` and this message; the function's return
 * value is then ignored. Callable from any thread; `code` must not be 0.
 */
int32_t pb_fail(int32_t code, const char *format, ...)
    __attribute__((format(printf, 2, 3), visibility("hidden")));

/* ------------------------------------------------------------------------ */
/* The entry point                                                           */
/* ------------------------------------------------------------------------ */

/**
 * What `plugboard_entry()` returns. Static and read-only: owned by the
 * plugin, valid while the library is loaded.
 */
typedef struct plugboard_descriptor {
  uint32_t size;       /* sizeof(plugboard_descriptor) as the plugin was built */
  uint16_t abi_major;  /* PLUGBOARD_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;  /* PLUGBOARD_ABI_MINOR the plugin was built with */
  /* Called once by the host after loading and checking, on the host's main
   * thread, before any other function. NULL: no init hook. Returns 0 on
   * success; non-zero fails the load (message via pb_fail). */
  int32_t (*init)(void);
  /* Called once by the host before unloading, on the host's main thread,
   * after every call has returned. NULL: no shutdown hook. */
  void (*shutdown)(void);
  /* Returns and clears the calling thread's pending error; NULL if none. */
  const plugboard_error *(*take_error)(void);
} plugboard_descriptor;

PB_STATIC_ASSERT(offsetof(plugboard_descriptor, size) == 0, "descriptor.size offset");
PB_STATIC_ASSERT(offsetof(plugboard_descriptor, abi_major) == 4, "descriptor.abi_major offset");
PB_STATIC_ASSERT(offsetof(plugboard_descriptor, abi_minor) == 6, "descriptor.abi_minor offset");
PB_STATIC_ASSERT(offsetof(plugboard_descriptor, init) == 8, "descriptor.init offset");
PB_STATIC_ASSERT(offsetof(plugboard_descriptor, shutdown) == 16, "descriptor.shutdown offset");
PB_STATIC_ASSERT(offsetof(plugboard_descriptor, take_error) == 24, "descriptor.take_error offset");
PB_STATIC_ASSERT(sizeof(plugboard_descriptor) == 32, "descriptor size (ABI 1.0)");

/* ------------------------------------------------------------------------ */
/* Metadata notes (read by the host from the file without running it)       */
/* ------------------------------------------------------------------------ */

/** Note types in the "plugboard" owner namespace. Each desc is UTF-8 text of
 * "key=value\n" lines ending in NUL; the first line of the plugin note is
 * "abi=MAJOR.MINOR", so a host checks the version before reading the rest. */
#define PLUGBOARD_NOTE_PLUGIN 1    /* abi, name, version, build_id, compiler */
#define PLUGBOARD_NOTE_INTERFACE 2 /* symbol (C name), id, version */
#define PLUGBOARD_NOTE_FUNCTION 3  /* interface (C name), signature, fallible */
#define PLUGBOARD_NOTE_HOOK 4      /* hook (init|shutdown), function */

/** The build id stamped into the plugin: pass -DPLUGBOARD_BUILD_ID='"..."'
 * (deno task build does, from a hash of the source, flags and compiler). */
#ifndef PLUGBOARD_BUILD_ID
#define PLUGBOARD_BUILD_ID ""
#endif

/** The compiler recorded in the plugin note; derived from the compiler's own
 * macros unless the build defines it (tests use that to fake another one). */
#ifndef PLUGBOARD_COMPILER
#if defined(__clang__)
#define PLUGBOARD_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define PLUGBOARD_COMPILER "gcc " __VERSION__
#else
#define PLUGBOARD_COMPILER "unknown"
#endif
#endif

/* Exported with C linkage (also from C++ sources) and default visibility. */
#ifdef __cplusplus
#define PLUGBOARD_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define PLUGBOARD_EXPORT __attribute__((visibility("default")))
#endif
#define PB_STR_(x) #x
#define PB_STR(x) PB_STR_(x)
#define PB_CAT_(a, b) a##b
#define PB_CAT(a, b) PB_CAT_(a, b)
#define PB_ALIGN4(n) (((n) + 3u) & ~3u)

/* One ELF note record: header, owner "plugboard" padded to 12, text desc
 * padded to 4. `used` keeps it through optimisation; notes also survive
 * --gc-sections. */
#define PB_NOTE(pb_id_, pb_type_, pb_text_)                                   \
  __attribute__((used, section(".note.plugboard"), aligned(4))) static const   \
  struct {                                                                     \
    uint32_t namesz, descsz, type;                                             \
    char name[12];                                                             \
    char desc[PB_ALIGN4(sizeof(pb_text_))];                                    \
  } pb_id_ = {10, sizeof(pb_text_), pb_type_, "plugboard", pb_text_}

/**
 * The plugin's identity; exactly once per plugin, in one .c file. Defines
 * plugboard_entry(), plugboard_take_error() and pb_fail().
 *   name:    string literal, [a-z0-9._-]
 *   version: string literal, semver ("0.1.0")
 */
#define PLUGBOARD_PLUGIN(name, version)                                        \
  PB_NOTE(pb_note_plugin, PLUGBOARD_NOTE_PLUGIN,                               \
          "abi=" PB_STR(PLUGBOARD_ABI_MAJOR) "." PB_STR(PLUGBOARD_ABI_MINOR)   \
          "\nname=" name "\nversion=" version                                  \
          "\nbuild_id=" PLUGBOARD_BUILD_ID "\ncompiler=" PLUGBOARD_COMPILER    \
          "\n");                                                               \
  PB_PLUGIN_RUNTIME

/**
 * A named, versioned interface: `cname` is the C identifier functions use to
 * join it, `id` the host's name for it ("calc.op"), major/minor its version.
 * Adding functions is a minor change; changing a signature needs a new major.
 */
#define PLUGBOARD_INTERFACE(cname, id, major, minor)                           \
  PB_NOTE(pb_iface_##cname, PLUGBOARD_NOTE_INTERFACE,                          \
          "symbol=" #cname "\nid=" id "\nversion=" #major "." #minor "\n")

/**
 * Declare and define an exported function of interface `iface`:
 *   PLUGBOARD_FN(calc_op, pb_i32, apply, (pb_i32 a, pb_i32 b)) { ... }
 * The function's body follows the macro. Write (void) for no parameters:
 * in C, () declares a function whose arguments are not checked.
 */
#define PLUGBOARD_FN(iface, ret, name, params)                                 \
  PB_FN_NOTE(iface, ret, name, params, "0");                                   \
  PLUGBOARD_EXPORT ret name params;                                            \
  PLUGBOARD_EXPORT ret name params

/**
 * As PLUGBOARD_FN, for a function that may fail: on failure it calls
 * pb_fail(code, ...) and returns any value; the host throws instead of
 * returning it. Fallible functions must be called synchronously.
 */
#define PLUGBOARD_FALLIBLE_FN(iface, ret, name, params)                        \
  PB_FN_NOTE(iface, ret, name, params, "1");                                   \
  PLUGBOARD_EXPORT ret name params;                                            \
  PLUGBOARD_EXPORT ret name params

#define PB_FN_NOTE(iface, ret, name, params, fallible)                         \
  PB_STATIC_ASSERT(sizeof(pb_iface_##iface) > 0,                                 \
                 "declare the interface first with PLUGBOARD_INTERFACE");      \
  PB_NOTE(pb_fn_##name, PLUGBOARD_NOTE_FUNCTION,                               \
          "interface=" #iface "\nsignature=" #ret " " #name #params            \
          "\nfallible=" fallible "\n")

/**
 * Optional hooks, at most one each: `int32_t fn(void)` run after load
 * (non-zero fails the load) and `void fn(void)` run before unload.
 */
#define PLUGBOARD_INIT(fn)                                                     \
  PB_NOTE(pb_note_init, PLUGBOARD_NOTE_HOOK, "hook=init\nfunction=" #fn "\n"); \
  int32_t (*const pb_init_hook)(void) = fn
#define PLUGBOARD_SHUTDOWN(fn)                                                 \
  PB_NOTE(pb_note_shutdown, PLUGBOARD_NOTE_HOOK,                               \
          "hook=shutdown\nfunction=" #fn "\n");                                \
  void (*const pb_shutdown_hook)(void) = fn

/* Weak: a plugin without hooks leaves these NULL. */
extern int32_t (*const pb_init_hook)(void) __attribute__((weak, visibility("hidden")));
extern void (*const pb_shutdown_hook)(void) __attribute__((weak, visibility("hidden")));

#include <stdarg.h>
#include <stdio.h>

#define PB_PLUGIN_RUNTIME                                                      \
  static PB_THREAD_LOCAL plugboard_error pb_error_slot;                          \
  static PB_THREAD_LOCAL int pb_error_pending;                                   \
  int32_t pb_fail(int32_t code, const char *format, ...) {                     \
    va_list args;                                                              \
    va_start(args, format);                                                    \
    int n = vsnprintf(pb_error_slot.message, PLUGBOARD_ERROR_MESSAGE_MAX,      \
                      format, args);                                           \
    va_end(args);                                                              \
    if (n < 0) n = 0;                                                          \
    if (n >= PLUGBOARD_ERROR_MESSAGE_MAX) n = PLUGBOARD_ERROR_MESSAGE_MAX - 1; \
    pb_error_slot.code = code ? code : -1;                                     \
    pb_error_slot.length = (uint32_t)n;                                        \
    pb_error_pending = 1;                                                      \
    return pb_error_slot.code;                                                 \
  }                                                                            \
  static const plugboard_error *pb_take_error(void) {                          \
    if (!pb_error_pending) return NULL;                                        \
    pb_error_pending = 0;                                                      \
    return &pb_error_slot;                                                     \
  }                                                                            \
  PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void);          \
  PLUGBOARD_EXPORT const plugboard_error *plugboard_take_error(void) {         \
    return pb_take_error();                                                    \
  }                                                                            \
  static int32_t pb_run_init(void) {                                           \
    return &pb_init_hook != NULL && pb_init_hook ? pb_init_hook() : 0;         \
  }                                                                            \
  static void pb_run_shutdown(void) {                                          \
    if (&pb_shutdown_hook != NULL && pb_shutdown_hook) pb_shutdown_hook();     \
  }                                                                            \
  PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void);         \
  PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void) {         \
    static const plugboard_descriptor descriptor = {                           \
        sizeof(plugboard_descriptor), PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR, \
        pb_run_init, pb_run_shutdown, pb_take_error};                   \
    return &descriptor;                                                        \
  }                                                                            \
  typedef int pb_plugin_runtime_defined

#ifdef __cplusplus
}
#endif

#endif /* PLUGBOARD_H */
