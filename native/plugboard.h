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
 * Structs the interface shares with the host (behind a pointer or by value)
 * record their layout with PLUGBOARD_STRUCT(point, x, y), so a host
 * expecting another layout refuses the plugin before it runs.
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
 * Built for WebAssembly (clang --target=wasm32), the same records go to a
 * custom section named "plugboard" instead, and the descriptor's function
 * pointers are function-table indexes: see the sections marked __wasm__.
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

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if !defined(__wasm__)
#include <stdio.h> /* vsnprintf, for pb_fail */
#endif

#ifdef __cplusplus
extern "C" {
#define PB__STATIC_ASSERT static_assert
#define PB__THREAD_LOCAL thread_local
#else
#define PB__STATIC_ASSERT _Static_assert
#define PB__THREAD_LOCAL _Thread_local
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

PB__STATIC_ASSERT(offsetof(plugboard_error, code) == 0, "plugboard_error.code offset");
PB__STATIC_ASSERT(offsetof(plugboard_error, length) == 4, "plugboard_error.length offset");
PB__STATIC_ASSERT(offsetof(plugboard_error, message) == 8, "plugboard_error.message offset");

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
 * plugin, valid while the library is loaded. A hook pointer is NULL exactly
 * when the plugin declares no such hook (no hook note).
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

#if defined(__wasm32__)
/* wasm32 (ILP32): a function pointer is a 32-bit index into the module's
 * function table (exported as "__indirect_function_table" when linked with
 * -Wl,--export-table); the host calls table.get(index)(). */
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, size) == 0, "wasm32 descriptor.size offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, abi_major) == 4, "wasm32 descriptor.abi_major offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, abi_minor) == 6, "wasm32 descriptor.abi_minor offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, init) == 8, "wasm32 descriptor.init offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, shutdown) == 12, "wasm32 descriptor.shutdown offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, take_error) == 16, "wasm32 descriptor.take_error offset");
PB__STATIC_ASSERT(sizeof(plugboard_descriptor) == 20, "wasm32 descriptor size (ABI 1.0)");
#else /* LP64 */
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, size) == 0, "descriptor.size offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, abi_major) == 4, "descriptor.abi_major offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, abi_minor) == 6, "descriptor.abi_minor offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, init) == 8, "descriptor.init offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, shutdown) == 16, "descriptor.shutdown offset");
PB__STATIC_ASSERT(offsetof(plugboard_descriptor, take_error) == 24, "descriptor.take_error offset");
PB__STATIC_ASSERT(sizeof(plugboard_descriptor) == 32, "descriptor size (ABI 1.0)");
#endif /* __wasm32__ */

/* ------------------------------------------------------------------------ */
/* Metadata notes (read by the host from the file without running it)       */
/* ------------------------------------------------------------------------ */

/** Note types in the "plugboard" owner namespace. Each desc is UTF-8 text of
 * "key=value\n" lines ending in NUL; the first line of the plugin note is
 * "abi=MAJOR.MINOR", so a host checks the version before reading the rest. */
#define PLUGBOARD_NOTE_PLUGIN 1    /* abi, name, version, build_id, compiler[, author] */
#define PLUGBOARD_NOTE_INTERFACE 2 /* symbol (C name), id, version */
#define PLUGBOARD_NOTE_FUNCTION 3  /* interface (C name), signature, fallible */
#define PLUGBOARD_NOTE_HOOK 4      /* hook (init|shutdown), function */
#define PLUGBOARD_NOTE_STRUCT 5    /* struct, size, align, field (repeated, in order) */

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
#define PB__STR_(x) #x
#define PB__STR(x) PB__STR_(x)
#define PB__ALIGN4(n) (((n) + 3u) & ~3u)

#if defined(__wasm__)
/* WebAssembly: the same record, byte for byte, in a custom section named
 * "plugboard" (wasm-ld concatenates the sections of every object file).
 * clang puts section("...") data in a data segment on wasm, so the record is
 * written by top-level assembly, whose ".section .custom_section.NAME" makes
 * a custom section. The text goes into an assembler string as it is: the
 * integrated assembler takes raw newlines there, but a double quote or a
 * backslash in a name or version would not survive (a plugin name is
 * [a-z0-9._-] and a version semver, so none does). The C object is kept for
 * its compile-time checks (duplicates, sizeof in PB__FN_NOTE) but is not
 * emitted: the notes are not in linear memory. */
#define PB__NOTE(pb_id_, pb_type_, pb_text_)                                   \
  __asm__(".section .custom_section.plugboard,\"\",@\n"                      \
          ".int32 10\n.int32 1f-0f\n.int32 " PB__STR(pb_type_) "\n"            \
          ".asciz \"plugboard\"\n.p2align 2\n"                                \
          "0:\n.asciz \"" pb_text_ "\"\n1:\n.p2align 2\n");                     \
  __attribute__((unused)) static const struct {                               \
    uint32_t namesz, descsz, type;                                             \
    char name[12];                                                             \
    char desc[PB__ALIGN4(sizeof(pb_text_))];                                    \
  } pb_id_ = {10, sizeof(pb_text_), pb_type_, "plugboard", pb_text_}
#else
/* One ELF note record: header, owner "plugboard" padded to 12, text desc
 * padded to 4. `used` keeps it through optimisation; notes also survive
 * --gc-sections. */
#define PB__NOTE(pb_id_, pb_type_, pb_text_)                                   \
  __attribute__((used, section(".note.plugboard"), aligned(4))) static const   \
  struct {                                                                     \
    uint32_t namesz, descsz, type;                                             \
    char name[12];                                                             \
    char desc[PB__ALIGN4(sizeof(pb_text_))];                                    \
  } pb_id_ = {10, sizeof(pb_text_), pb_type_, "plugboard", pb_text_}
#endif /* __wasm__ */

/* The export of a declared function: on wasm also an export of that name,
 * so no linker flag is needed to export it. */
#if defined(__wasm__)
#define PB__EXPORT_AS(name) PLUGBOARD_EXPORT __attribute__((export_name(#name)))
#else
#define PB__EXPORT_AS(name) PLUGBOARD_EXPORT
#endif

/**
 * The plugin's identity; exactly once per plugin, in one .c file. Defines
 * plugboard_entry(), plugboard_take_error() and pb_fail().
 *   PLUGBOARD_PLUGIN(name, version)
 *   PLUGBOARD_PLUGIN(name, version, author)
 *   name:    string literal, [a-z0-9._-]
 *   version: string literal, semver ("0.1.0")
 *   author:  optional string literal, UTF-8, at most 256 bytes, no control
 *            characters (no newline); e.g. "Ada Lovelace <ada@example.org>".
 *            WebAssembly builds: no double quote or backslash either.
 */
#define PLUGBOARD_PLUGIN(name, ...)                                            \
  PB__PLUGIN_SELECT(__VA_ARGS__, PB__PLUGIN_AUTHOR, PB__PLUGIN_ANON, )(name, __VA_ARGS__)
#define PB__PLUGIN_SELECT(version, author, form, ...) form
#define PB__PLUGIN_ANON(name, version) PB__PLUGIN_NOTE(name, version, "")
#define PB__PLUGIN_AUTHOR(name, version, author)                               \
  PB__PLUGIN_NOTE(name, version, "\nauthor=" author)
#define PB__PLUGIN_NOTE(name, version, author_line)                            \
  PB__NOTE(pb_note_plugin, PLUGBOARD_NOTE_PLUGIN,                               \
          "abi=" PB__STR(PLUGBOARD_ABI_MAJOR) "." PB__STR(PLUGBOARD_ABI_MINOR)   \
          "\nname=" name "\nversion=" version                                  \
          "\nbuild_id=" PLUGBOARD_BUILD_ID "\ncompiler=" PLUGBOARD_COMPILER    \
          author_line "\n");                                                   \
  PB__PLUGIN_RUNTIME

/**
 * A named, versioned interface: `cname` is the C identifier functions use to
 * join it, `id` the host's name for it ("calc.op"), major/minor its version.
 * Adding functions is a minor change; changing a signature needs a new major.
 */
#define PLUGBOARD_INTERFACE(cname, id, major, minor)                           \
  PB__NOTE(pb_iface_##cname, PLUGBOARD_NOTE_INTERFACE,                          \
          "symbol=" #cname "\nid=" id "\nversion=" #major "." #minor "\n")

/**
 * Declare and define an exported function of interface `iface`:
 *   PLUGBOARD_FN(calc_op, pb_i32, apply, (pb_i32 a, pb_i32 b)) { ... }
 * The function's body follows the macro. Write (void) for no parameters:
 * in C, () declares a function whose arguments are not checked.
 */
#define PLUGBOARD_FN(iface, ret, name, params)                                 \
  PB__FN_NOTE(iface, ret, name, params, "0");                                   \
  PB__EXPORT_AS(name) ret name params;                                          \
  PB__INTO(ret, name, params)                                                   \
  PB__EXPORT_AS(name) ret name params

/**
 * As PLUGBOARD_FN, for a function that may fail: on failure it calls
 * pb_fail(code, ...) and returns any value; the host throws instead of
 * returning it. Fallible functions must be called synchronously.
 */
#define PLUGBOARD_FALLIBLE_FN(iface, ret, name, params)                        \
  PB__FN_NOTE(iface, ret, name, params, "1");                                   \
  PB__EXPORT_AS(name) ret name params;                                          \
  PB__INTO(ret, name, params)                                                   \
  PB__EXPORT_AS(name) ret name params

/* ------------------------------------------------------------------------ */
/* Text results into a host buffer                                          */
/* ------------------------------------------------------------------------ */

/**
 * A function with a pb_cstring result whose parameters are all pb_ types
 * (or (void)), declared with PLUGBOARD_FN or PLUGBOARD_FALLIBLE_FN, also
 * exports
 *
 *   uint32_t NAME__into(<the same parameters>, char *out, uint32_t cap);
 *
 * which calls NAME and copies its text into `out`, a buffer the host lends
 * for the duration of the call, so the host reads the text from its own
 * memory (no pointer into the plugin crosses the boundary):
 *   - the text and its NUL fit in `cap` bytes: both are written, and the
 *     text's length (NUL excluded) is returned;
 *   - they do not fit: nothing is written, the text is kept for the calling
 *     thread, and its length is returned (>= cap); the host then grows its
 *     buffer and calls plugboard_into_copy(), so NAME never runs twice;
 *   - NAME returned NULL: PLUGBOARD_INTO_NULL is returned.
 * A text of PLUGBOARD_INTO_NULL - 1 bytes or more returns
 * PLUGBOARD_INTO_TOO_LONG. The host uses NAME__into when the file exports
 * it (with plugboard_into_copy) and NAME's pointer otherwise, so plugins
 * built before it, and those of the Go and Rust SDKs, work unchanged.
 * Not generated for WebAssembly builds (the host reads linear memory), nor
 * for more than 16 parameters or a struct parameter.
 */
#define PLUGBOARD_INTO_NULL 0xFFFFFFFFu
#define PLUGBOARD_INTO_TOO_LONG 0xFFFFFFFEu

#if defined(__wasm__)
#define PB__INTO(ret, name, params)
#else
/* The text the calling thread's last NAME__into could not fit (defined by
 * PLUGBOARD_PLUGIN). */
extern PB__THREAD_LOCAL const char *pb__into_pending __attribute__((visibility("hidden")));

/**
 * Copy the text the calling thread's last NAME__into call could not fit
 * into `out`: returns its length when it and its NUL fit in `cap` (and
 * forgets it), its length without writing when they still do not, and
 * PLUGBOARD_INTO_NULL when there is none. Defined by PLUGBOARD_PLUGIN.
 */
PLUGBOARD_EXPORT uint32_t plugboard_into_copy(char *out, uint32_t cap);

static inline uint32_t pb__into(const char *text, char *out, uint32_t cap) {
  if (text == NULL) return PLUGBOARD_INTO_NULL;
  size_t n = __builtin_strlen(text);
  if (n >= PLUGBOARD_INTO_TOO_LONG) return PLUGBOARD_INTO_TOO_LONG;
  if (n < cap) {
    __builtin_memcpy(out, text, n + 1);
    return (uint32_t)n;
  }
  pb__into_pending = text;
  return (uint32_t)n;
}

#define PB__INTO(ret, name, params)                                             \
  PB__IF(PB__AND(PB__IS_CSTRING(ret), PB__ALL_PB params))(PB__INTO_FN(name, params))
#define PB__INTO_FN(name, params)                                               \
  PB__EXPORT_AS(name##__into) uint32_t name##__into PB__INTO_PARAMS params;     \
  PB__EXPORT_AS(name##__into) uint32_t name##__into PB__INTO_PARAMS params {    \
    return pb__into(name(PB__ARG_NAMES params), pb__out, pb__cap);               \
  }
#endif /* __wasm__ */

/* Preprocessor helpers of PB__INTO. Each pb_ type (and void) has a
 * PB__NAME_<type> that expands to nothing, so pasting it to a parameter
 * ("pb_i32 a") leaves the parameter's name ("a"), and a PB__ISPB_<type>
 * probe, so a parameter of another type ("struct point p") is seen. */
#define PB__CAT(a, ...) PB__CAT_(a, __VA_ARGS__)
#define PB__CAT_(a, ...) a##__VA_ARGS__
#define PB__SECOND(...) PB__SECOND_(__VA_ARGS__, 0, )
#define PB__SECOND_(a, b, ...) b
#define PB__PROBE ~, 1,
#define PB__IF(c) PB__CAT(PB__IF_, c)
#define PB__IF_0(...)
#define PB__IF_1(...) __VA_ARGS__
#define PB__AND(a, b) PB__CAT(PB__AND_, PB__CAT(a, b))
#define PB__AND_00 0
#define PB__AND_01 0
#define PB__AND_10 0
#define PB__AND_11 1
#define PB__IS_CSTRING(t) PB__SECOND(PB__CAT(PB__ISCSTR_, t))
#define PB__ISCSTR_pb_cstring PB__PROBE
#define PB__IS_VOID(p) PB__SECOND(PB__CAT(PB__ISVOID_, p))
#define PB__ISVOID_void PB__PROBE
#define PB__ISPB(p) PB__SECOND(PB__CAT(PB__ISPB_, p))
#define PB__ISPB_void PB__PROBE
#define PB__ISPB_pb_bool PB__PROBE
#define PB__ISPB_pb_i8 PB__PROBE
#define PB__ISPB_pb_u8 PB__PROBE
#define PB__ISPB_pb_i16 PB__PROBE
#define PB__ISPB_pb_u16 PB__PROBE
#define PB__ISPB_pb_i32 PB__PROBE
#define PB__ISPB_pb_u32 PB__PROBE
#define PB__ISPB_pb_i64 PB__PROBE
#define PB__ISPB_pb_u64 PB__PROBE
#define PB__ISPB_pb_isize PB__PROBE
#define PB__ISPB_pb_usize PB__PROBE
#define PB__ISPB_pb_f32 PB__PROBE
#define PB__ISPB_pb_f64 PB__PROBE
#define PB__ISPB_pb_pointer PB__PROBE
#define PB__ISPB_pb_buffer PB__PROBE
#define PB__ISPB_pb_cstring PB__PROBE
#define PB__NAME(p) PB__CAT(PB__NAME_, p)
#define PB__NAME_void
#define PB__NAME_pb_bool
#define PB__NAME_pb_i8
#define PB__NAME_pb_u8
#define PB__NAME_pb_i16
#define PB__NAME_pb_u16
#define PB__NAME_pb_i32
#define PB__NAME_pb_u32
#define PB__NAME_pb_i64
#define PB__NAME_pb_u64
#define PB__NAME_pb_isize
#define PB__NAME_pb_usize
#define PB__NAME_pb_f32
#define PB__NAME_pb_f64
#define PB__NAME_pb_pointer
#define PB__NAME_pb_buffer
#define PB__NAME_pb_cstring
/* The parameter list of NAME__into: NAME's, then the host's buffer. */
#define PB__INTO_PARAMS(...)                                                    \
  PB__CAT(PB__INTO_PARAMS_, PB__IS_VOID(PB__FIRST(__VA_ARGS__)))(__VA_ARGS__)
#define PB__INTO_PARAMS_0(...) (__VA_ARGS__, char *pb__out, uint32_t pb__cap)
#define PB__INTO_PARAMS_1(...) (char *pb__out, uint32_t pb__cap)
#define PB__FIRST(...) PB__FIRST_(__VA_ARGS__, )
#define PB__FIRST_(a, ...) a
/* Up to 16 parameters: all of pb_ types (1) or not (0); their names. */
#define PB__COUNT(...)                                                          \
  PB__COUNT_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, )
#define PB__COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14,  \
                   _15, _16, n, ...) n
#define PB__ALL_PB(...) PB__CAT(PB__ALLPB_, PB__COUNT(__VA_ARGS__))(__VA_ARGS__)
#define PB__ALLPB_(...) 0
#define PB__ALLPB_1(p) PB__ISPB(p)
#define PB__ALLPB_2(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_1(__VA_ARGS__))
#define PB__ALLPB_3(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_2(__VA_ARGS__))
#define PB__ALLPB_4(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_3(__VA_ARGS__))
#define PB__ALLPB_5(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_4(__VA_ARGS__))
#define PB__ALLPB_6(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_5(__VA_ARGS__))
#define PB__ALLPB_7(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_6(__VA_ARGS__))
#define PB__ALLPB_8(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_7(__VA_ARGS__))
#define PB__ALLPB_9(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_8(__VA_ARGS__))
#define PB__ALLPB_10(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_9(__VA_ARGS__))
#define PB__ALLPB_11(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_10(__VA_ARGS__))
#define PB__ALLPB_12(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_11(__VA_ARGS__))
#define PB__ALLPB_13(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_12(__VA_ARGS__))
#define PB__ALLPB_14(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_13(__VA_ARGS__))
#define PB__ALLPB_15(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_14(__VA_ARGS__))
#define PB__ALLPB_16(p, ...) PB__AND(PB__ISPB(p), PB__ALLPB_15(__VA_ARGS__))
#define PB__ARG_NAMES(...) PB__CAT(PB__NAMES_, PB__COUNT(__VA_ARGS__))(__VA_ARGS__)
#define PB__NAMES_1(p) PB__NAME(p)
#define PB__NAMES_2(p, ...) PB__NAME(p), PB__NAMES_1(__VA_ARGS__)
#define PB__NAMES_3(p, ...) PB__NAME(p), PB__NAMES_2(__VA_ARGS__)
#define PB__NAMES_4(p, ...) PB__NAME(p), PB__NAMES_3(__VA_ARGS__)
#define PB__NAMES_5(p, ...) PB__NAME(p), PB__NAMES_4(__VA_ARGS__)
#define PB__NAMES_6(p, ...) PB__NAME(p), PB__NAMES_5(__VA_ARGS__)
#define PB__NAMES_7(p, ...) PB__NAME(p), PB__NAMES_6(__VA_ARGS__)
#define PB__NAMES_8(p, ...) PB__NAME(p), PB__NAMES_7(__VA_ARGS__)
#define PB__NAMES_9(p, ...) PB__NAME(p), PB__NAMES_8(__VA_ARGS__)
#define PB__NAMES_10(p, ...) PB__NAME(p), PB__NAMES_9(__VA_ARGS__)
#define PB__NAMES_11(p, ...) PB__NAME(p), PB__NAMES_10(__VA_ARGS__)
#define PB__NAMES_12(p, ...) PB__NAME(p), PB__NAMES_11(__VA_ARGS__)
#define PB__NAMES_13(p, ...) PB__NAME(p), PB__NAMES_12(__VA_ARGS__)
#define PB__NAMES_14(p, ...) PB__NAME(p), PB__NAMES_13(__VA_ARGS__)
#define PB__NAMES_15(p, ...) PB__NAME(p), PB__NAMES_14(__VA_ARGS__)
#define PB__NAMES_16(p, ...) PB__NAME(p), PB__NAMES_15(__VA_ARGS__)

#define PB__FN_NOTE(iface, ret, name, params, fallible)                         \
  PB__STATIC_ASSERT(sizeof(pb_iface_##iface) > 0,                                 \
                 "declare the interface first with PLUGBOARD_INTERFACE");      \
  PB__NOTE(pb_fn_##name, PLUGBOARD_NOTE_FUNCTION,                               \
          "interface=" #iface "\nsignature=" #ret " " #name #params            \
          "\nfallible=" fallible "\n")

/**
 * Optional hooks, at most one each: `int32_t fn(void)` run after load
 * (non-zero fails the load) and `void fn(void)` run before unload. Each
 * writes the hook's note and defines the function the descriptor points
 * at, so the two always agree: a plugin without PLUGBOARD_INIT has no init
 * note and a NULL descriptor.init (the host refuses a plugin where they
 * disagree).
 */
#define PLUGBOARD_INIT(fn)                                                     \
  PB__NOTE(pb_note_init, PLUGBOARD_NOTE_HOOK, "hook=init\nfunction=" #fn "\n"); \
  int32_t pb__init(void) { return fn(); }                                      \
  typedef int pb__init_defined
#define PLUGBOARD_SHUTDOWN(fn)                                                 \
  PB__NOTE(pb_note_shutdown, PLUGBOARD_NOTE_HOOK,                               \
          "hook=shutdown\nfunction=" #fn "\n");                                \
  void pb__shutdown(void) { fn(); }                                            \
  typedef int pb__shutdown_defined

/* Weak and hidden: without PLUGBOARD_INIT / PLUGBOARD_SHUTDOWN these are
 * undefined, and the descriptor's pointers to them are NULL. */
int32_t pb__init(void) __attribute__((weak, visibility("hidden")));
void pb__shutdown(void) __attribute__((weak, visibility("hidden")));

/* ------------------------------------------------------------------------ */
/* Struct layouts (checked by the host before anything runs)                 */
/* ------------------------------------------------------------------------ */

/**
 * Record the layout of `struct sname`, a struct the plugin's interface
 * passes behind a pointer or by value, so that a host expecting another
 * layout refuses the plugin (STRUCT_MISMATCH) instead of reading wrong
 * numbers. List every field, in declaration order:
 *
 *   struct point { int32_t x; int32_t y; };
 *   PLUGBOARD_STRUCT(point, x, y);
 *
 * Nothing of the layout is written by hand: the size, the alignment and each
 * field's offset, size and type come from the compiler (sizeof, alignof,
 * offsetof, the field's C type), so the note cannot drift from the struct
 * the plugin was compiled with. A field left out or listed out of order is a
 * compile error, as far as the layout shows it (a field hidden in padding
 * cannot be seen). Fields are typed in the signature language: bool, i8..u64
 * (char by its signedness, long and long long by their size), f32, f64,
 * pointer (any data or function pointer), struct (a nested struct; declare
 * it with its own PLUGBOARD_STRUCT) and bytes (anything else: arrays,
 * unions, long double). Bit-fields cannot be listed (offsetof refuses them).
 *
 * The struct must have a tag (`struct point`, not only a typedef of an
 * anonymous struct); at most 32 fields. Use it at file scope, once per
 * translation unit (a header included by several .c files writes the same
 * note from each, which the host accepts when they are identical). It
 * defines a static function `pb_struct_<sname>` holding the note.
 * WebAssembly builds write no struct notes (the macro checks the layout and
 * records nothing).
 *
 * Note (type 5) text: "struct=NAME\nsize=N\nalign=N\n" then one
 * "field=NAME OFFSET SIZE TYPE\n" line per field, in order.
 */
#define PLUGBOARD_STRUCT(sname, ...)                                           \
  __attribute__((used)) static void pb_struct_##sname(void) {                  \
    PB__STRUCT_BEGIN(sname);                                                    \
    PB__STRUCT_SELECT(__VA_ARGS__,                                             \
                      PB__SF32, PB__SF31, PB__SF30, PB__SF29, PB__SF28, PB__SF27,\
                      PB__SF26, PB__SF25, PB__SF24, PB__SF23, PB__SF22, PB__SF21,\
                      PB__SF20, PB__SF19, PB__SF18, PB__SF17, PB__SF16, PB__SF15,\
                      PB__SF14, PB__SF13, PB__SF12, PB__SF11, PB__SF10, PB__SF9,\
                      PB__SF8, PB__SF7, PB__SF6, PB__SF5, PB__SF4, PB__SF3,    \
                      PB__SF2, PB__SF1, )                                      \
    (sname, __VA_ARGS__)                                                       \
    PB__STRUCT_END(sname);                                                      \
  }                                                                            \
  typedef int pb__struct_##sname##_defined
#define PB__STRUCT_SELECT(                                                     \
  _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11,                                \
  _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22,                       \
  _23, _24, _25, _26, _27, _28, _29, _30, _31, _32,                            \
  form, ...) form
/* PB__SFn: the first of n fields, then PB__SRk for the k that follow it. */
#define PB__SF1(s, f) PB__SFIELD0(s, f) PB__SR0(s, f)
#define PB__SF2(s, f, ...) PB__SFIELD0(s, f) PB__SR1(s, f, __VA_ARGS__)
#define PB__SF3(s, f, ...) PB__SFIELD0(s, f) PB__SR2(s, f, __VA_ARGS__)
#define PB__SF4(s, f, ...) PB__SFIELD0(s, f) PB__SR3(s, f, __VA_ARGS__)
#define PB__SF5(s, f, ...) PB__SFIELD0(s, f) PB__SR4(s, f, __VA_ARGS__)
#define PB__SF6(s, f, ...) PB__SFIELD0(s, f) PB__SR5(s, f, __VA_ARGS__)
#define PB__SF7(s, f, ...) PB__SFIELD0(s, f) PB__SR6(s, f, __VA_ARGS__)
#define PB__SF8(s, f, ...) PB__SFIELD0(s, f) PB__SR7(s, f, __VA_ARGS__)
#define PB__SF9(s, f, ...) PB__SFIELD0(s, f) PB__SR8(s, f, __VA_ARGS__)
#define PB__SF10(s, f, ...) PB__SFIELD0(s, f) PB__SR9(s, f, __VA_ARGS__)
#define PB__SF11(s, f, ...) PB__SFIELD0(s, f) PB__SR10(s, f, __VA_ARGS__)
#define PB__SF12(s, f, ...) PB__SFIELD0(s, f) PB__SR11(s, f, __VA_ARGS__)
#define PB__SF13(s, f, ...) PB__SFIELD0(s, f) PB__SR12(s, f, __VA_ARGS__)
#define PB__SF14(s, f, ...) PB__SFIELD0(s, f) PB__SR13(s, f, __VA_ARGS__)
#define PB__SF15(s, f, ...) PB__SFIELD0(s, f) PB__SR14(s, f, __VA_ARGS__)
#define PB__SF16(s, f, ...) PB__SFIELD0(s, f) PB__SR15(s, f, __VA_ARGS__)
#define PB__SF17(s, f, ...) PB__SFIELD0(s, f) PB__SR16(s, f, __VA_ARGS__)
#define PB__SF18(s, f, ...) PB__SFIELD0(s, f) PB__SR17(s, f, __VA_ARGS__)
#define PB__SF19(s, f, ...) PB__SFIELD0(s, f) PB__SR18(s, f, __VA_ARGS__)
#define PB__SF20(s, f, ...) PB__SFIELD0(s, f) PB__SR19(s, f, __VA_ARGS__)
#define PB__SF21(s, f, ...) PB__SFIELD0(s, f) PB__SR20(s, f, __VA_ARGS__)
#define PB__SF22(s, f, ...) PB__SFIELD0(s, f) PB__SR21(s, f, __VA_ARGS__)
#define PB__SF23(s, f, ...) PB__SFIELD0(s, f) PB__SR22(s, f, __VA_ARGS__)
#define PB__SF24(s, f, ...) PB__SFIELD0(s, f) PB__SR23(s, f, __VA_ARGS__)
#define PB__SF25(s, f, ...) PB__SFIELD0(s, f) PB__SR24(s, f, __VA_ARGS__)
#define PB__SF26(s, f, ...) PB__SFIELD0(s, f) PB__SR25(s, f, __VA_ARGS__)
#define PB__SF27(s, f, ...) PB__SFIELD0(s, f) PB__SR26(s, f, __VA_ARGS__)
#define PB__SF28(s, f, ...) PB__SFIELD0(s, f) PB__SR27(s, f, __VA_ARGS__)
#define PB__SF29(s, f, ...) PB__SFIELD0(s, f) PB__SR28(s, f, __VA_ARGS__)
#define PB__SF30(s, f, ...) PB__SFIELD0(s, f) PB__SR29(s, f, __VA_ARGS__)
#define PB__SF31(s, f, ...) PB__SFIELD0(s, f) PB__SR30(s, f, __VA_ARGS__)
#define PB__SF32(s, f, ...) PB__SFIELD0(s, f) PB__SR31(s, f, __VA_ARGS__)
#define PB__SR0(s, p) PB__SLAST(s, p)
#define PB__SR1(s, p, f) PB__SFIELD(s, p, f) PB__SR0(s, f)
#define PB__SR2(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR1(s, f, __VA_ARGS__)
#define PB__SR3(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR2(s, f, __VA_ARGS__)
#define PB__SR4(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR3(s, f, __VA_ARGS__)
#define PB__SR5(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR4(s, f, __VA_ARGS__)
#define PB__SR6(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR5(s, f, __VA_ARGS__)
#define PB__SR7(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR6(s, f, __VA_ARGS__)
#define PB__SR8(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR7(s, f, __VA_ARGS__)
#define PB__SR9(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR8(s, f, __VA_ARGS__)
#define PB__SR10(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR9(s, f, __VA_ARGS__)
#define PB__SR11(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR10(s, f, __VA_ARGS__)
#define PB__SR12(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR11(s, f, __VA_ARGS__)
#define PB__SR13(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR12(s, f, __VA_ARGS__)
#define PB__SR14(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR13(s, f, __VA_ARGS__)
#define PB__SR15(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR14(s, f, __VA_ARGS__)
#define PB__SR16(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR15(s, f, __VA_ARGS__)
#define PB__SR17(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR16(s, f, __VA_ARGS__)
#define PB__SR18(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR17(s, f, __VA_ARGS__)
#define PB__SR19(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR18(s, f, __VA_ARGS__)
#define PB__SR20(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR19(s, f, __VA_ARGS__)
#define PB__SR21(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR20(s, f, __VA_ARGS__)
#define PB__SR22(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR21(s, f, __VA_ARGS__)
#define PB__SR23(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR22(s, f, __VA_ARGS__)
#define PB__SR24(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR23(s, f, __VA_ARGS__)
#define PB__SR25(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR24(s, f, __VA_ARGS__)
#define PB__SR26(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR25(s, f, __VA_ARGS__)
#define PB__SR27(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR26(s, f, __VA_ARGS__)
#define PB__SR28(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR27(s, f, __VA_ARGS__)
#define PB__SR29(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR28(s, f, __VA_ARGS__)
#define PB__SR30(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR29(s, f, __VA_ARGS__)
#define PB__SR31(s, p, f, ...) PB__SFIELD(s, p, f) PB__SR30(s, f, __VA_ARGS__)

#define PB__SMEMBER(s, f) (((struct s *)0)->f)
#define PB__SEND(s, f) (offsetof(struct s, f) + sizeof(PB__SMEMBER(s, f)))
#define PB__ALIGN_UP(n, a) (((n) + (a) - 1) / (a) * (a))
#if defined(__cplusplus)
/* C++: the field's type code (see PB__SKIND_TEXT) by template. */
extern "C++" {
template <typename T> struct pb__bare { typedef T type; };
template <typename T> struct pb__bare<T &> : pb__bare<T> {};
template <typename T> struct pb__bare<const T> : pb__bare<T> {};
template <typename T> struct pb__bare<volatile T> : pb__bare<T> {};
template <typename T> struct pb__bare<const volatile T> : pb__bare<T> {};
template <typename T, bool = __is_enum(T)> struct pb__kind {
  static constexpr int value = __is_class(T) ? 13 : 0;
};
template <typename T> struct pb__kind<T, true> : pb__kind<__underlying_type(T)> {};
template <typename T> struct pb__kind<T *, false> { static constexpr int value = 12; };
template <typename T> struct pb__field_kind : pb__kind<typename pb__bare<T>::type> {};
#define PB__FIELD_KIND_IS(type, code)                                          \
  template <> struct pb__kind<type, false> { static constexpr int value = (code); }
PB__FIELD_KIND_IS(bool, 1);
PB__FIELD_KIND_IS(char, (char)-1 < 0 ? 2 : 3);
PB__FIELD_KIND_IS(signed char, 2);
PB__FIELD_KIND_IS(unsigned char, 3);
PB__FIELD_KIND_IS(short, 4);
PB__FIELD_KIND_IS(unsigned short, 5);
PB__FIELD_KIND_IS(int, 6);
PB__FIELD_KIND_IS(unsigned int, 7);
PB__FIELD_KIND_IS(long, sizeof(long) == 8 ? 8 : 6);
PB__FIELD_KIND_IS(unsigned long, sizeof(long) == 8 ? 9 : 7);
PB__FIELD_KIND_IS(long long, 8);
PB__FIELD_KIND_IS(unsigned long long, 9);
PB__FIELD_KIND_IS(float, 10);
PB__FIELD_KIND_IS(double, 11);
#undef PB__FIELD_KIND_IS
}
#define PB__SALIGNOF(t) alignof(t)
#define PB__SKIND(s, f) (pb__field_kind<decltype(PB__SMEMBER(s, f))>::value)
#else
#define PB__SALIGNOF(t) _Alignof(t)
/* The field's type in the signature language, as a code the note's text is
 * chosen by (see PB__SKIND_TEXT). A pointer is told from an array by its
 * size and alignment (an array decays to a pointer here). */
#define PB__SKIND(s, f)                                                        \
  (__builtin_classify_type(PB__SMEMBER(s, f)) == 5                              \
       ? (sizeof(PB__SMEMBER(s, f)) == sizeof(void *) &&                        \
                  __alignof__(PB__SMEMBER(s, f)) == __alignof__(void *)         \
              ? 12                                                             \
              : 0)                                                             \
   : __builtin_classify_type(PB__SMEMBER(s, f)) == 12                           \
       ? 13                                                                    \
       : _Generic(PB__SMEMBER(s, f),                                           \
           _Bool: 1, char: ((char)-1 < 0 ? 2 : 3), signed char: 2,             \
           unsigned char: 3, short: 4, unsigned short: 5, int: 6,              \
           unsigned int: 7, long: (sizeof(long) == 8 ? 8 : 6),                 \
           unsigned long: (sizeof(long) == 8 ? 9 : 7), long long: 8,           \
           unsigned long long: 9, float: 10, double: 11, default: 0))
#endif

#if defined(__wasm__)
#define PB__STRUCT_BEGIN(s)                                                    \
  PB__STATIC_ASSERT(sizeof(struct s) > 0, "PLUGBOARD_STRUCT: struct " #s " must be complete")
#define PB__STRUCT_END(s) (void)0
#define PB__SFIELD_NOTE(s, f) (void)0
#else
/* The note is written by the assembler, from inside a function: only there
 * can an asm statement take the compiler's constants as operands ("i") and
 * print them in decimal (%c), and .if picks the type's name by its code. */
#define PB__STRUCT_BEGIN(s)                                                    \
  __asm__ volatile(".pushsection .note.plugboard,\"a\"\n.balign 4\n"             \
                   ".long 10, .Lpb_struct_end_" #s " - .Lpb_struct_begin_" #s     \
                   ", " PB__STR(PLUGBOARD_NOTE_STRUCT) "\n"                      \
                   ".asciz \"plugboard\"\n.balign 4\n"                           \
                   ".Lpb_struct_begin_" #s ":\n"                                  \
                   ".ascii \"struct=" #s "\\nsize=%c0\\nalign=%c1\\n\"\n"          \
                   ".popsection"                                               \
                   :                                                           \
                   : "i"(sizeof(struct s)), "i"(PB__SALIGNOF(struct s)))
#define PB__STRUCT_END(s)                                                      \
  __asm__ volatile(".pushsection .note.plugboard,\"a\"\n.byte 0\n"              \
                   ".Lpb_struct_end_" #s ":\n.balign 4\n.popsection")
#define PB__SFIELD_NOTE(s, f)                                                  \
  __asm__ volatile(".pushsection .note.plugboard,\"a\"\n"                       \
                   ".ascii \"field=" #f " %c0 %c1 \"\n" PB__SKIND_TEXT            \
                   ".ascii \"\\n\"\n.popsection"                                  \
                   :                                                           \
                   : "i"(offsetof(struct s, f)), "i"(sizeof(PB__SMEMBER(s, f))),  \
                     "i"(PB__SKIND(s, f)))
/* The name of type code %c2, as assembler conditionals. */
#define PB__SKIND_TEXT                                                         \
  ".if %c2 == 1\n.ascii \"bool\"\n.elseif %c2 == 2\n.ascii \"i8\"\n"            \
  ".elseif %c2 == 3\n.ascii \"u8\"\n.elseif %c2 == 4\n.ascii \"i16\"\n"          \
  ".elseif %c2 == 5\n.ascii \"u16\"\n.elseif %c2 == 6\n.ascii \"i32\"\n"         \
  ".elseif %c2 == 7\n.ascii \"u32\"\n.elseif %c2 == 8\n.ascii \"i64\"\n"         \
  ".elseif %c2 == 9\n.ascii \"u64\"\n.elseif %c2 == 10\n.ascii \"f32\"\n"        \
  ".elseif %c2 == 11\n.ascii \"f64\"\n.elseif %c2 == 12\n.ascii \"pointer\"\n"   \
  ".elseif %c2 == 13\n.ascii \"struct\"\n.else\n.ascii \"bytes\"\n.endif\n"
#endif /* __wasm__ */

/* The first field starts the struct; each next one follows the one before
 * it, with only the padding its alignment needs; the last one ends it. */
#define PB__SFIELD0(s, f)                                                      \
  PB__STATIC_ASSERT(offsetof(struct s, f) == 0, "PLUGBOARD_STRUCT(" #s          \
                    ", ...): list every field in declaration order, starting with the first, not " #f); \
  PB__SFIELD_NOTE(s, f);
#define PB__SFIELD(s, p, f)                                                    \
  PB__STATIC_ASSERT(offsetof(struct s, f) >= PB__SEND(s, p) &&                  \
                    offsetof(struct s, f) ==                                   \
                        PB__ALIGN_UP(PB__SEND(s, p), __alignof__(PB__SMEMBER(s, f))), \
                    "PLUGBOARD_STRUCT(" #s ", ...): list every field in declaration order: " \
                    #f " does not directly follow " #p);                        \
  PB__SFIELD_NOTE(s, f);
#define PB__SLAST(s, f)                                                        \
  PB__STATIC_ASSERT(PB__ALIGN_UP(PB__SEND(s, f), PB__SALIGNOF(struct s)) ==     \
                        sizeof(struct s),                                      \
                    "PLUGBOARD_STRUCT(" #s ", ...): list every field: a field after " #f \
                    " is missing");

/**
 * The compatibility rule, as a function (as CLAP's clap_version_is_compatible):
 * whether a host of ABI host_major.host_minor loads a plugin built with ABI
 * plugin_major.plugin_minor. The same rule is src/abi/abi_version.ts's
 * isAbiCompatible; a test checks the two agree.
 */
static inline bool plugboard_abi_is_compatible(uint16_t host_major, uint16_t host_minor,
                                               uint16_t plugin_major, uint16_t plugin_minor) {
  return plugin_major == host_major && plugin_minor <= host_minor;
}

#if defined(__wasm__)
/* ------------------------------------------------------------------------ */
/* WebAssembly runtime: self-contained (no libc function, no import), so a   */
/* plugin that uses no libc function itself needs no import at all.         */
/*                                                                           */
/* Link a plugin with: -nostartfiles (or -nostdlib without wasi-libc)        */
/*   -Wl,--no-entry -Wl,--export-table                                       */
/* The module then exports "memory", "__indirect_function_table" (the table  */
/* the descriptor's function pointers index), "plugboard_entry",             */
/* "plugboard_take_error", "plugboard_alloc", "plugboard_free" and every     */
/* PLUGBOARD_FN / PLUGBOARD_FALLIBLE_FN function under its own name.         */
/* ------------------------------------------------------------------------ */

/**
 * Memory for the host to copy a string or buffer argument into: `size`
 * bytes (at most 2 GiB), or NULL (0) when memory cannot grow. When the
 * module links a malloc (the plugin calls malloc itself), the blocks come
 * from it (16-byte aligned with wasi-libc): wasi-libc's malloc claims all
 * memory up to the current size on its first call, so a second heap beside
 * it is not safe. Otherwise they come from pages this allocator grows
 * (memory.grow), 16-byte aligned, in power-of-two classes from 16 bytes to
 * 2 GiB, a free list each. Not thread-safe: a wasm32 plugin instance is
 * single-threaded.
 */
PB__EXPORT_AS(plugboard_alloc) void *plugboard_alloc(uint32_t size);
/** Give back a block of plugboard_alloc(size), with the same size; NULL is ignored. */
PB__EXPORT_AS(plugboard_free) void plugboard_free(void *ptr, uint32_t size);

/* Run by plugboard_entry() on its first call: the module's constructors,
 * which a module linked without crt1 runs nowhere else. Referring to it
 * matters too: without a reference, wasm-ld 14 links a module that has
 * constructors, or wasi-libc's exit.o, as a "command" and wraps every
 * export to run the constructors before and __wasm_call_dtors (atexit
 * handlers, stdio flush) after each call. */
void __wasm_call_ctors(void);

/* The error slot is thread-local only in a threaded build (-matomics), and
 * then in the local-exec model, the only one clang 14 compiles for wasm.
 * Otherwise an instance has one thread, and a thread-local would break the
 * link of a -mbulk-memory build ("'atomics' feature must be used in order
 * to use thread-local storage"). */
#if defined(__wasm_atomics__)
#define PB__WASM_THREAD_LOCAL PB__THREAD_LOCAL __attribute__((tls_model("local-exec")))
#else
#define PB__WASM_THREAD_LOCAL
#endif

/* pb_fail's formatter, so the SDK needs no libc: flags "-+ #0", width and
 * precision (digits or '*'), length hh h l ll j z t L, and conversions
 * d i u o x X c s p n % f F e E g G (a A print as e E), as glibc prints
 * them: floating-point values from their exact decimal expansion, rounded
 * to even on ties. The differences: precision is capped at 40, %a prints as
 * %e, a long double prints as the double nearest to it, %n writes nothing,
 * and an unknown conversion is copied as it is. */
/* Formatting errors is cold: kept out of line, the formatter is a third
 * smaller. no_builtin: clang must not turn its loops into memcpy or memset
 * calls, which a module without libc cannot link. */
#define PB__FMT_COLD static inline __attribute__((noinline, no_builtin))

typedef struct pb_fmt_out {
  char *buf;
  uint32_t cap;
  uint32_t len;
} pb_fmt_out;

typedef struct pb_fmt_spec {
  int left, plus, space, alt, zero, width, prec;
  char conv;
} pb_fmt_spec;

PB__FMT_COLD void pb_fmt_put(pb_fmt_out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

PB__FMT_COLD void pb_fmt_repeat(pb_fmt_out *o, char c, int n) {
  for (; n > 0; n--) pb_fmt_put(o, c);
}

/* One converted field: prefix (sign, 0x), zeros, body; padded to the width. */
PB__FMT_COLD void pb_fmt_field(pb_fmt_out *o, const pb_fmt_spec *s, const char *pre, int npre,
                                int zeros, const char *body, int nbody) {
  int n = npre + zeros + nbody;
  int pad = s->width > n ? s->width - n : 0;
  if (!s->left && !s->zero) pb_fmt_repeat(o, ' ', pad);
  for (int i = 0; i < npre; i++) pb_fmt_put(o, pre[i]);
  if (!s->left && s->zero) pb_fmt_repeat(o, '0', pad);
  pb_fmt_repeat(o, '0', zeros);
  for (int i = 0; i < nbody; i++) pb_fmt_put(o, body[i]);
  if (s->left) pb_fmt_repeat(o, ' ', pad);
}

PB__FMT_COLD void pb_fmt_int(pb_fmt_out *o, const pb_fmt_spec *s, uint64_t v, int neg) {
  const char *alphabet = s->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  unsigned base = s->conv == 'o' ? 8u : (s->conv == 'x' || s->conv == 'X' || s->conv == 'p') ? 16u : 10u;
  char digits[24];
  int n = 0;
  int nonzero = v != 0;
  for (; v != 0; v /= base) digits[23 - n++] = alphabet[v % base];
  int prec = s->prec < 0 ? 1 : s->prec;
  int zeros = prec > n ? prec - n : 0;
  if (s->alt && base == 8 && zeros == 0 && (n == 0 || digits[24 - n] != '0')) zeros = 1;
  char pre[2];
  int npre = 0;
  int is_signed = s->conv == 'd' || s->conv == 'i';
  if (neg) pre[npre++] = '-';
  else if (is_signed && s->plus) pre[npre++] = '+';
  else if (is_signed && s->space) pre[npre++] = ' ';
  if (base == 16 && ((s->alt && nonzero) || s->conv == 'p')) {
    pre[npre++] = '0';
    pre[npre++] = s->conv == 'X' ? 'X' : 'x';
  }
  pb_fmt_spec t = *s;
  if (s->prec >= 0) t.zero = 0;
  pb_fmt_field(o, &t, pre, npre, zeros, digits + 24 - n, n);
}

/* The exact decimal digits of v (finite, > 0): d[0..*n) without leading or
 * trailing zeros, and the return value e, the power of ten of d[0]. v is
 * m * 2^e2 with m < 2^53: its digits are those of the integer m * 2^e2, or
 * for e2 < 0 those of m * 5^-e2 scaled by 10^e2. The integer is kept in
 * base 10^9, least significant word first: at most 86 words (767 digits,
 * for the smallest subnormal), d needs PB__FMT_DIGITS bytes. */
#define PB__FMT_DIGITS 800
PB__FMT_COLD int pb_fmt_digits(double v, unsigned char *d, int *n) {
  union {
    double f;
    uint64_t u;
  } bits = {v};
  uint64_t m = bits.u & 0xfffffffffffffull;
  int biased = (int)((bits.u >> 52) & 0x7ff);
  int e2 = biased == 0 ? -1074 : biased - 1075;
  if (biased != 0) m |= 1ull << 52;
  while ((m & 1) == 0 && e2 < 0) {
    m >>= 1;
    e2++;
  }
  uint32_t w[90];
  int nw = 0;
  for (; m != 0; m /= 1000000000u) w[nw++] = (uint32_t)(m % 1000000000u);
  int scale = e2 < 0 ? -e2 : 0;
  /* Multiply by 2^29 or 5^13 at a time: a word times either, plus the
   * carry, stays below 2^63. */
  for (int left = e2 < 0 ? -e2 : e2; left > 0;) {
    int step = e2 < 0 ? (left < 13 ? left : 13) : (left < 29 ? left : 29);
    uint64_t factor = 1;
    for (int i = 0; i < step; i++) factor *= e2 < 0 ? 5u : 2u;
    uint64_t carry = 0;
    for (int i = 0; i < nw; i++) {
      uint64_t x = (uint64_t)w[i] * factor + carry;
      w[i] = (uint32_t)(x % 1000000000u);
      carry = x / 1000000000u;
    }
    for (; carry != 0; carry /= 1000000000u) w[nw++] = (uint32_t)(carry % 1000000000u);
    left -= step;
  }
  int count = 0;
  for (int i = nw - 1; i >= 0; i--) {
    uint32_t x = w[i];
    int length = 9;
    if (i == nw - 1) {
      length = 1;
      for (uint32_t y = x; y >= 10; y /= 10) length++;
    }
    for (int j = length - 1; j >= 0; j--, x /= 10) d[count + j] = (unsigned char)(x % 10);
    count += length;
  }
  int e = count - 1 - scale;
  while (d[count - 1] == 0) count--;
  *n = count;
  return e;
}

/* Round n exact digits to nd significant ones, ties to even as glibc does
 * (0.5 -> 0, 2.25 -> 2.2, but 0.35, in binary 0.34999..., -> 0.3); returns
 * how many remain significant (0: the value rounds to zero) and updates *e. */
PB__FMT_COLD int pb_fmt_round(unsigned char *d, int n, int nd, int *e) {
  if (nd >= n) return n;
  if (nd < 0) return 0;
  int up = d[nd] > 5 || (d[nd] == 5 && (nd + 1 < n || (nd > 0 && (d[nd - 1] & 1))));
  if (nd == 0) {
    if (!up) return 0;
    d[0] = 1;
    *e += 1;
    return 1;
  }
  if (up) {
    int i = nd - 1;
    while (i >= 0 && d[i] == 9) d[i--] = 0;
    if (i >= 0) {
      d[i]++;
    } else {
      d[0] = 1;
      *e += 1;
    }
  }
  return nd;
}

static inline char pb_fmt_digit(const unsigned char *d, int nd, int e, int k) {
  int i = e - k;
  return (char)('0' + (i >= 0 && i < nd ? d[i] : 0));
}

PB__FMT_COLD int pb_fmt_fixed(char *out, const unsigned char *d, int nd, int e, int prec, int alt) {
  int n = 0;
  for (int k = e > 0 ? e : 0; k >= 0; k--) out[n++] = pb_fmt_digit(d, nd, e, k);
  if (prec > 0 || alt) out[n++] = '.';
  for (int k = -1; k >= -prec; k--) out[n++] = pb_fmt_digit(d, nd, e, k);
  return n;
}

PB__FMT_COLD int pb_fmt_exp(char *out, const unsigned char *d, int nd, int e, int prec, int alt,
                             int upper) {
  int n = 0;
  if (nd == 0) e = 0;
  out[n++] = pb_fmt_digit(d, nd, e, e);
  if (prec > 0 || alt) out[n++] = '.';
  for (int k = 1; k <= prec; k++) out[n++] = pb_fmt_digit(d, nd, e, e - k);
  out[n++] = upper ? 'E' : 'e';
  out[n++] = e < 0 ? '-' : '+';
  int x = e < 0 ? -e : e;
  if (x >= 100) out[n++] = (char)('0' + x / 100);
  out[n++] = (char)('0' + x / 10 % 10);
  out[n++] = (char)('0' + x % 10);
  return n;
}

PB__FMT_COLD void pb_fmt_float(pb_fmt_out *o, const pb_fmt_spec *s, double v) {
  union {
    double f;
    uint64_t u;
  } bits = {v};
  char body[400]; /* 309 integer digits, '.', 40 decimals */
  int n = 0;
  char conv = s->conv;
  int upper = conv == 'F' || conv == 'E' || conv == 'G' || conv == 'A';
  char pre[1];
  int npre = 0;
  if (bits.u >> 63) pre[npre++] = '-';
  else if (s->plus) pre[npre++] = '+';
  else if (s->space) pre[npre++] = ' ';
  if (bits.u >> 63) v = -v;
  pb_fmt_spec t = *s;
  if (v != v || v > 1.7976931348623157e308) {
    const char *word = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    t.zero = 0;
    pb_fmt_field(o, &t, pre, npre, 0, word, 3);
    return;
  }
  int prec = s->prec < 0 ? 6 : s->prec > 40 ? 40 : s->prec;
  unsigned char d[PB__FMT_DIGITS];
  int count = 0;
  int e = v == 0.0 ? 0 : pb_fmt_digits(v, d, &count);
  if (conv == 'f' || conv == 'F') {
    int nd = pb_fmt_round(d, count, e + 1 + prec, &e);
    n = pb_fmt_fixed(body, d, nd, e, prec, s->alt);
  } else if (conv == 'g' || conv == 'G') {
    int p = prec == 0 ? 1 : prec;
    int nd = pb_fmt_round(d, count, p, &e);
    if (nd == 0) e = 0;
    if (p > e && e >= -4) {
      n = pb_fmt_fixed(body, d, nd, e, p - 1 - e, s->alt);
    } else {
      n = pb_fmt_exp(body, d, nd, e, p - 1, s->alt, upper);
    }
    if (!s->alt) {
      int dot = -1, exp = n;
      for (int i = 0; i < n; i++) {
        if (body[i] == '.') dot = i;
        if (body[i] == 'e' || body[i] == 'E') exp = i;
      }
      if (dot >= 0) {
        int end = exp;
        while (end > dot + 1 && body[end - 1] == '0') end--;
        if (end == dot + 1) end = dot;
        int removed = exp - end;
        for (int i = exp; i < n; i++) body[i - removed] = body[i];
        n -= removed;
      }
    }
  } else {
    int nd = pb_fmt_round(d, count, prec + 1, &e);
    n = pb_fmt_exp(body, d, nd, e, prec, s->alt, upper);
  }
  pb_fmt_field(o, &t, pre, npre, 0, body, n);
}

/* A long double (IEEE binary128 on wasm32) as a double, from its bits, so
 * the SDK needs none of compiler-rt's soft-float functions. */
static inline double pb_fmt_long_double(long double value) {
  union {
    long double l;
    uint64_t w[2];
  } in;
  in.l = value;
  uint64_t sign = in.w[1] >> 63;
  int64_t exp = (int64_t)((in.w[1] >> 48) & 0x7fff);
  uint64_t mant = ((in.w[1] & 0xffffffffffffull) << 4) | (in.w[0] >> 60);
  union {
    uint64_t u;
    double f;
  } out;
  if (exp == 0x7fff) {
    out.u = (sign << 63) | (0x7ffull << 52) | (mant ? 1ull << 51 : 0);
  } else if (exp == 0 || exp - 16383 + 1023 <= 0) {
    out.u = sign << 63;
  } else if (exp - 16383 + 1023 >= 0x7ff) {
    out.u = (sign << 63) | (0x7ffull << 52);
  } else {
    out.u = (sign << 63) | ((uint64_t)(exp - 16383 + 1023) << 52) | mant;
  }
  return out.f;
}

/* vsnprintf for the conversions above: writes at most cap - 1 bytes and a
 * NUL, returns the length the whole text would have. */
PB__FMT_COLD uint32_t pb_vformat(char *buf, uint32_t cap, const char *format, va_list args) {
  pb_fmt_out o = {buf, cap, 0};
  va_list ap;
  va_copy(ap, args);
  const char *p = format;
  while (*p) {
    if (*p != '%') {
      pb_fmt_put(&o, *p++);
      continue;
    }
    const char *start = p++;
    pb_fmt_spec s = {0, 0, 0, 0, 0, 0, -1, 0};
    for (;; p++) {
      if (*p == '-') s.left = 1;
      else if (*p == '+') s.plus = 1;
      else if (*p == ' ') s.space = 1;
      else if (*p == '#') s.alt = 1;
      else if (*p == '0') s.zero = 1;
      else break;
    }
    if (*p == '*') {
      s.width = va_arg(ap, int);
      if (s.width < 0) {
        s.left = 1;
        s.width = s.width == -2147483647 - 1 ? 0 : -s.width;
      }
      p++;
    } else {
      while (*p >= '0' && *p <= '9') s.width = s.width < 100000 ? s.width * 10 + (*p - '0') : s.width, p++;
    }
    if (*p == '.') {
      p++;
      s.prec = 0;
      if (*p == '*') {
        s.prec = va_arg(ap, int);
        if (s.prec < 0) s.prec = -1;
        p++;
      } else {
        while (*p >= '0' && *p <= '9') s.prec = s.prec < 100000 ? s.prec * 10 + (*p - '0') : s.prec, p++;
      }
    }
    if (s.left) s.zero = 0;
    char len = 0;
    if (*p == 'h') len = *++p == 'h' ? (p++, 'H') : 'h';
    else if (*p == 'l') len = *++p == 'l' ? (p++, 'q') : 'l';
    else if (*p == 'j' || *p == 'z' || *p == 't' || *p == 'L') len = *p++;
    s.conv = *p;
    if (*p) p++;
    switch (s.conv) {
      case 'd':
      case 'i': {
        int64_t v = len == 'l' ? (int64_t)va_arg(ap, long)
                  : len == 'q' ? (int64_t)va_arg(ap, long long)
                  : len == 'j' ? (int64_t)va_arg(ap, intmax_t)
                  : len == 'z' || len == 't' ? (int64_t)va_arg(ap, ptrdiff_t)
                  : len == 'H' ? (int64_t)(signed char)va_arg(ap, int)
                  : len == 'h' ? (int64_t)(short)va_arg(ap, int)
                  : (int64_t)va_arg(ap, int);
        pb_fmt_int(&o, &s, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
        break;
      }
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        uint64_t v = len == 'l' ? (uint64_t)va_arg(ap, unsigned long)
                   : len == 'q' ? (uint64_t)va_arg(ap, unsigned long long)
                   : len == 'j' ? (uint64_t)va_arg(ap, uintmax_t)
                   : len == 'z' || len == 't' ? (uint64_t)va_arg(ap, size_t)
                   : len == 'H' ? (uint64_t)(unsigned char)va_arg(ap, unsigned)
                   : len == 'h' ? (uint64_t)(unsigned short)va_arg(ap, unsigned)
                   : (uint64_t)va_arg(ap, unsigned);
        pb_fmt_int(&o, &s, v, 0);
        break;
      }
      case 'p': {
        const void *v = va_arg(ap, const void *);
        pb_fmt_spec t = s;
        t.zero = 0;
        if (v == NULL) pb_fmt_field(&o, &t, "", 0, 0, "(nil)", 5);
        else pb_fmt_int(&o, &s, (uint64_t)(uintptr_t)v, 0);
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        s.zero = 0;
        pb_fmt_field(&o, &s, "", 0, 0, &c, 1);
        break;
      }
      case 's': {
        const char *v = va_arg(ap, const char *);
        if (v == NULL) v = s.prec < 0 || s.prec >= 6 ? "(null)" : "";
        int n = 0;
        while ((s.prec < 0 || n < s.prec) && v[n]) n++;
        s.zero = 0;
        pb_fmt_field(&o, &s, "", 0, 0, v, n);
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
      case 'a':
      case 'A': {
        double v = len == 'L' ? pb_fmt_long_double(va_arg(ap, long double)) : va_arg(ap, double);
        if (s.conv == 'a') s.conv = 'e';
        if (s.conv == 'A') s.conv = 'E';
        pb_fmt_float(&o, &s, v);
        break;
      }
      case 'n':
        (void)va_arg(ap, void *);
        break;
      case '%':
        pb_fmt_put(&o, '%');
        break;
      default:
        while (start < p) pb_fmt_put(&o, *start++);
        break;
    }
  }
  va_end(ap);
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}

#define PB__PLUGIN_RUNTIME                                                      \
  static PB__WASM_THREAD_LOCAL plugboard_error pb_error_slot;                   \
  static PB__WASM_THREAD_LOCAL int pb_error_pending;                            \
  int32_t pb_fail(int32_t code, const char *format, ...) {                     \
    va_list args;                                                              \
    va_start(args, format);                                                    \
    uint32_t n = pb_vformat(pb_error_slot.message,                             \
                            PLUGBOARD_ERROR_MESSAGE_MAX, format, args);        \
    va_end(args);                                                              \
    if (n >= PLUGBOARD_ERROR_MESSAGE_MAX) n = PLUGBOARD_ERROR_MESSAGE_MAX - 1; \
    pb_error_slot.code = code ? code : -1;                                     \
    pb_error_slot.length = n;                                                  \
    pb_error_pending = 1;                                                      \
    return pb_error_slot.code;                                                 \
  }                                                                            \
  static const plugboard_error *pb_take_error(void) {                          \
    if (!pb_error_pending) return NULL;                                        \
    pb_error_pending = 0;                                                      \
    return &pb_error_slot;                                                     \
  }                                                                            \
  PB__EXPORT_AS(plugboard_take_error)                                           \
  const plugboard_error *plugboard_take_error(void);                           \
  PB__EXPORT_AS(plugboard_take_error)                                           \
  const plugboard_error *plugboard_take_error(void) {                          \
    return pb_take_error();                                                    \
  }                                                                            \
  PB__EXPORT_AS(plugboard_entry)                                                \
  const plugboard_descriptor *plugboard_entry(void);                           \
  PB__EXPORT_AS(plugboard_entry)                                                \
  const plugboard_descriptor *plugboard_entry(void) {                          \
    static const plugboard_descriptor descriptor = {                           \
        sizeof(plugboard_descriptor), PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR, \
        pb__init, pb__shutdown, pb_take_error};                          \
    static int pb_constructed;                                                 \
    if (!pb_constructed) {                                                     \
      pb_constructed = 1;                                                      \
      __wasm_call_ctors();                                                     \
    }                                                                          \
    return &descriptor;                                                        \
  }                                                                            \
  /* libc's malloc and free if the module links them. A weakref pulls      \
   * nothing in and leaves the plugin's own calls strong references. */      \
  static void *pb_libc_malloc(size_t) __attribute__((weakref("malloc")));    \
  static void pb_libc_free(void *) __attribute__((weakref("free")));         \
  /* Power-of-two size classes from 16 bytes to 2 GiB, a free list each. */  \
  static uint64_t pb_heap_next, pb_heap_end;                                   \
  static void *pb_heap_free[32];                                               \
  static unsigned pb_heap_class(uint32_t size) {                               \
    unsigned k = 4;                                                            \
    while (k < 32 && ((uint64_t)1 << k) < size) k++;                           \
    return k;                                                                  \
  }                                                                            \
  void *plugboard_alloc(uint32_t size) {                                       \
    if (pb_libc_malloc != NULL && pb_libc_free != NULL) {                      \
      return size <= 0x80000000u ? pb_libc_malloc(size ? size : 1) : NULL;     \
    }                                                                          \
    unsigned k = pb_heap_class(size);                                          \
    if (k >= 32) return NULL;                                                  \
    void *block = pb_heap_free[k];                                             \
    if (block != NULL) {                                                       \
      pb_heap_free[k] = *(void **)block;                                       \
      return block;                                                            \
    }                                                                          \
    uint64_t bytes = (uint64_t)1 << k;                                         \
    if (pb_heap_end - pb_heap_next < bytes) {                                  \
      /* Only pages grown here: a libc malloc may own the rest. */             \
      size_t pages = (size_t)((bytes + 65535) >> 16);                          \
      size_t old = __builtin_wasm_memory_grow(0, pages);                       \
      if (old == (size_t)-1) return NULL;                                      \
      uint64_t start = (uint64_t)old << 16;                                    \
      if (start != pb_heap_end) pb_heap_next = start;                          \
      pb_heap_end = start + ((uint64_t)pages << 16);                           \
    }                                                                          \
    block = (void *)(uintptr_t)pb_heap_next;                                   \
    pb_heap_next += bytes;                                                     \
    return block;                                                              \
  }                                                                            \
  void plugboard_free(void *ptr, uint32_t size) {                              \
    if (pb_libc_malloc != NULL && pb_libc_free != NULL) {                      \
      pb_libc_free(ptr);                                                       \
      return;                                                                  \
    }                                                                          \
    unsigned k = pb_heap_class(size);                                          \
    if (ptr == NULL || k >= 32) return;                                        \
    *(void **)ptr = pb_heap_free[k];                                           \
    pb_heap_free[k] = ptr;                                                     \
  }                                                                            \
  typedef int pb_plugin_runtime_defined

#else /* not __wasm__ */

#define PB__PLUGIN_RUNTIME                                                      \
  static PB__THREAD_LOCAL plugboard_error pb_error_slot;                          \
  static PB__THREAD_LOCAL int pb_error_pending;                                   \
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
  PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void);         \
  PLUGBOARD_EXPORT const plugboard_descriptor *plugboard_entry(void) {         \
    static const plugboard_descriptor descriptor = {                           \
        sizeof(plugboard_descriptor), PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR, \
        pb__init, pb__shutdown, pb_take_error};                   \
    return &descriptor;                                                        \
  }                                                                            \
  PB__THREAD_LOCAL const char *pb__into_pending;                               \
  uint32_t plugboard_into_copy(char *out, uint32_t cap) {                      \
    const char *text = pb__into_pending;                                       \
    if (text == NULL) return PLUGBOARD_INTO_NULL;                              \
    size_t n = __builtin_strlen(text);                                         \
    if (n >= PLUGBOARD_INTO_TOO_LONG) return PLUGBOARD_INTO_TOO_LONG;          \
    if (n >= cap) return (uint32_t)n;                                          \
    __builtin_memcpy(out, text, n + 1);                                        \
    pb__into_pending = NULL;                                                   \
    return (uint32_t)n;                                                        \
  }                                                                            \
  typedef int pb_plugin_runtime_defined
#endif /* __wasm__ */

#ifdef __cplusplus
}
#endif

#endif /* PLUGBOARD_H */
