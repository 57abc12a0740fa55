/*
 * plugboard_go.h - C side of the Go SDK for plugboard plugins.
 *
 * Go cannot place data in an ELF section, so a Go plugin writes its notes in
 * a C file of its main package, with the macros of plugboard.h and these:
 *
 *   // calc_mod.c
 *   #include "plugboard_go.h"
 *   #include "_cgo_export.h"      // the prototypes cgo writes for //export
 *
 *   PLUGBOARD_PLUGIN("calc-mod", "0.1.0");
 *   PLUGBOARD_INTERFACE(calc_op, "calc.op", 1, 0);
 *   PLUGBOARD_GO_FN(calc_op, pb_cstring, name, (void));
 *   PLUGBOARD_GO_FALLIBLE_FN(calc_op, pb_f64, apply, (pb_f64 a, pb_f64 b));
 *
 * Each PLUGBOARD_GO_FN writes the function note AND redeclares the function
 * with the same tokens: when the //export'ed Go function has other types
 * (declare its parameters and result with the C.pb_* types), the C compiler
 * reports "conflicting types" against _cgo_export.h, and when the Go
 * function is missing or not //export'ed, the link fails with "undefined
 * reference", so the Go declaration and the metadata cannot drift.
 *
 * The main package's cgo flags must find both headers:
 *   #cgo CFLAGS: -I${SRCDIR}/<to>/native -I${SRCDIR}/<to>/native/go/plugboard
 */
#ifndef PLUGBOARD_GO_H
#define PLUGBOARD_GO_H

/* The compiler recorded in the plugin note. The build passes the Go version,
 * e.g. CGO_CFLAGS='-O2 -DPLUGBOARD_COMPILER="go1.26.8"'. */
#ifndef PLUGBOARD_COMPILER
#define PLUGBOARD_COMPILER "go"
#endif

#include "plugboard.h"

/* The note of an //export'ed Go function, and its prototype (checked
 * against the one cgo wrote in _cgo_export.h). */
#define PLUGBOARD_GO_FN(iface, ret, name, params)                              \
  PB__FN_NOTE(iface, ret, name, params, "0");                                   \
  PB__GO_REF(ret, name, params)

/* As PLUGBOARD_GO_FN, for a function that reports errors with
 * plugboard.Fail (pb_fail) and must be called synchronously. */
#define PLUGBOARD_GO_FALLIBLE_FN(iface, ret, name, params)                     \
  PB__FN_NOTE(iface, ret, name, params, "1");                                   \
  PB__GO_REF(ret, name, params)

/* The prototype, and a reference that makes a missing //export a link error
 * ("undefined reference to `name'") instead of a note without a symbol. */
#define PB__GO_REF(ret, name, params)                                           \
  extern ret name params;                                                      \
  __attribute__((used)) static ret(*const pb_go_ref_##name) params = name

/* pb_fail without varargs (cgo cannot call a variadic C function): records
 * `length` bytes of `message` (not NUL-terminated) for the calling thread. */
int32_t pb_fail_message(int32_t code, const char *message, size_t length);

#endif /* PLUGBOARD_GO_H */
