// Package plugboard is the Go SDK for plugboard plugins: a Go main package
// built with -buildmode=c-shared becomes a plugin that the plugboard host
// loads like a C one. The binary contract is specified in docs/abi.md.
//
// Go cannot write ELF notes, so the plugin's identity, interfaces and
// signatures are declared in a C file of the plugin's main package with the
// macros of plugboard.h and plugboard_go.h (PLUGBOARD_PLUGIN, which also
// defines plugboard_entry, plugboard_take_error and pb_fail;
// PLUGBOARD_INTERFACE; PLUGBOARD_GO_FN; PLUGBOARD_GO_FALLIBLE_FN). The
// functions themselves are Go functions marked //export, with C.pb_* types.
//
// This package provides what Go code needs at run time: Fail and Failf
// (pb_fail, which cgo cannot call because it is variadic) and Intern
// (C strings for cstring results).
//
// Go c-shared libraries never unload: the Go runtime marks them NODELETE
// and starts its own threads when the library is loaded. plugboard's
// close() then reports unloaded: false with the reason.
package plugboard

/*
#cgo CFLAGS: -I${SRCDIR}/../.. -I${SRCDIR}
// A function declared with PLUGBOARD_GO_FN but not //export'ed fails the link.
#cgo LDFLAGS: -Wl,--no-undefined
#include <stdlib.h>
#include "plugboard_go.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Fail records an error for the current call of a fallible function and
// returns code (0 is recorded as -1). The host throws a CallError with code
// CALL_FAILED, this code and message; the function's return value is
// ignored. Messages longer than 511 bytes are cut on a character boundary.
// The error slot is per thread: call Fail from the
// //export'ed function's own goroutine before it returns (a call from C into
// Go runs on the calling C thread, locked to it; another goroutine may run
// on another thread).
func Fail(code int32, message string) int32 {
	if n := C.PLUGBOARD_ERROR_MESSAGE_MAX - 1; len(message) > n {
		for n > 0 && !utf8.RuneStart(message[n]) {
			n--
		}
		message = message[:n]
	}
	p := C.CString(message)
	defer C.free(unsafe.Pointer(p))
	return int32(C.pb_fail_message(C.int32_t(code), p, C.size_t(len(message))))
}

// Failf is Fail with a fmt.Sprintf message.
func Failf(code int32, format string, args ...any) int32 {
	return Fail(code, fmt.Sprintf(format, args...))
}

var interned sync.Map // string -> unsafe.Pointer

// Intern returns a NUL-terminated C copy of s that stays valid for the life
// of the process (a Go c-shared library never unloads), the same pointer for
// equal strings: the way to return a cstring result. Convert it with
// (*C.char)(plugboard.Intern(s)) (C types are package-local in cgo).
func Intern(s string) unsafe.Pointer {
	if p, ok := interned.Load(s); ok {
		return p.(unsafe.Pointer)
	}
	p, _ := interned.LoadOrStore(s, unsafe.Pointer(C.CString(s)))
	return p.(unsafe.Pointer)
}
