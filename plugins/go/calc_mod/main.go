// calc-mod: one operator of the calc.op interface, written in Go:
// apply(a, b) = a % b (the remainder with the sign of a, as C's fmod).
// Build: go build -buildmode=c-shared -o calc_mod.so .
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../../native -I${SRCDIR}/../../../native/go/plugboard
#include "plugboard.h"
*/
import "C"

import (
	"math"

	"plugboard/native/go/plugboard"
)

var symbol = (*C.char)(plugboard.Intern("%"))

//export name
func name() C.pb_cstring {
	return symbol
}

//export apply
func apply(a, b C.pb_f64) C.pb_f64 {
	if b == 0 {
		plugboard.Fail(1, "modulo by zero")
		return 0
	}
	return C.pb_f64(math.Mod(float64(a), float64(b)))
}

func main() {}
