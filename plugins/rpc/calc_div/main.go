// calc-div-go: the calc.op/1 operator "/" as a plugboard-rpc/1 subprocess
// plugin, in Go with the standard library only. Dividing by zero fails with
// the plugin's own error code 1, "division by zero", as plugins/calc_div.c
// does.
//
// The protocol (docs/subprocess.md), in short: print the handshake line, then
// answer each request line {"id", "call", "args"} on stdin with one reply line
// {"id", "result"} or {"id", "error": {"code", "message"}} on stdout; exit at
// end of input. Diagnostics go to stderr, never to stdout.
//
// Build: go build -o calc_div . (and put calc_div.plugboard.json next to it).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

const handshake = `{"plugboard-rpc":1,"name":"calc-div-go","version":"0.1.0","abi":"1.0","interfaces":[{"id":"calc.op","version":"1.0","functions":["cstring name()","fallible f64 apply(f64 a, f64 b)"]}]}`

// Error codes reserved by the protocol; the plugin's own codes are other non-zero int32s.
const (
	invalidRequest   = -32600
	unknownFunction  = -32601
	invalidArguments = -32602
	divisionByZero   = 1
)

type request struct {
	ID   *int64            `json:"id"`
	Call string            `json:"call"`
	Args []json.RawMessage `json:"args"`
}

type failure struct {
	code    int
	message string
}

// f64In decodes an f64 argument: a JSON number or "NaN", "Infinity", "-Infinity".
func f64In(raw json.RawMessage) (float64, *failure) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, &failure{invalidArguments, "expected a number, found " + strconv.Quote(s)}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, &failure{invalidArguments, "expected a number, found " + string(raw)}
	}
	return f, nil
}

// f64Out encodes an f64 result: the shortest text that reads back the same
// double, non-finite values as strings.
func f64Out(x float64) string {
	switch {
	case math.IsNaN(x):
		return `"NaN"`
	case math.IsInf(x, 1):
		return `"Infinity"`
	case math.IsInf(x, -1):
		return `"-Infinity"`
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func call(name string, args []json.RawMessage) (string, *failure) {
	switch name {
	case "name":
		if len(args) != 0 {
			return "", &failure{invalidArguments, "name() takes no arguments"}
		}
		return `"/"`, nil
	case "apply":
		if len(args) != 2 {
			return "", &failure{invalidArguments, fmt.Sprintf("apply() takes 2 arguments, found %d", len(args))}
		}
		a, f := f64In(args[0])
		if f != nil {
			return "", f
		}
		b, f := f64In(args[1])
		if f != nil {
			return "", f
		}
		if b == 0 {
			return "", &failure{divisionByZero, "division by zero"}
		}
		return f64Out(a / b), nil
	}
	return "", &failure{unknownFunction, "no function " + strconv.Quote(name)}
}

func answer(line []byte) string {
	var req request
	if err := json.Unmarshal(line, &req); err != nil || req.ID == nil || req.Args == nil {
		msg, _ := json.Marshal(`expected {"id", "call", "args"}`)
		return fmt.Sprintf(`{"id":null,"error":{"code":%d,"message":%s}}`, invalidRequest, msg)
	}
	result, f := call(req.Call, req.Args)
	if f != nil {
		msg, _ := json.Marshal(f.message)
		return fmt.Sprintf(`{"id":%d,"error":{"code":%d,"message":%s}}`, *req.ID, f.code, msg)
	}
	return fmt.Sprintf(`{"id":%d,"result":%s}`, *req.ID, result)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--plugboard-describe" {
		fmt.Println(handshake)
		return
	}
	if os.Getenv("PLUGBOARD_RPC_COOKIE") == "" {
		fmt.Fprintln(os.Stderr, "calc_div is a plugboard plugin; run it with plugboard, e.g. `plugboard calc --dir DIR \"1 / 4\"`")
		os.Exit(1)
	}
	if !strings.Contains(","+os.Getenv("PLUGBOARD_RPC")+",", ",1,") {
		fmt.Fprintf(os.Stderr, "calc_div speaks plugboard-rpc 1; the host offers %q\n", os.Getenv("PLUGBOARD_RPC"))
		os.Exit(1)
	}
	in := bufio.NewReaderSize(os.Stdin, 64*1024)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, handshake)
	out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if trimmed := strings.TrimSpace(string(line)); trimmed != "" {
			fmt.Fprintln(out, answer([]byte(trimmed)))
			// Answer at once unless more requests are already waiting.
			if in.Buffered() == 0 {
				out.Flush()
			}
		}
		if err == io.EOF {
			out.Flush()
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "calc_div: reading stdin:", err)
			os.Exit(1)
		}
	}
}
