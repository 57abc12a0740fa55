#!/usr/bin/env python3
"""calc-mul-python: the calc.op/1 operator "*" as a plugboard-rpc/1 subprocess
plugin, in Python 3 with the standard library only.

The protocol (docs/subprocess.md), in short: print the handshake line, then
answer each request line {"id", "call", "args"} on stdin with one reply line
{"id", "result"} or {"id", "error": {"code", "message"}} on stdout; exit at
end of input. Diagnostics go to stderr, never to stdout.
"""

import json
import math
import os
import sys

HANDSHAKE = {
    "plugboard-rpc": 1,
    "name": "calc-mul-python",
    "version": "0.1.0",
    "abi": "1.0",
    "interfaces": [
        {
            "id": "calc.op",
            "version": "1.0",
            "functions": ["cstring name()", "fallible f64 apply(f64 a, f64 b)"],
        }
    ],
}

# Reserved error codes of the protocol.
INVALID_REQUEST = -32600
UNKNOWN_FUNCTION = -32601
INVALID_ARGUMENTS = -32602
PARSE_ERROR = -32700


class Fail(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def f64_in(value):
    """A JSON argument of type f64: a number or "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, bool):
        raise Fail(INVALID_ARGUMENTS, "expected a number, found a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise Fail(INVALID_ARGUMENTS, f"expected a number, found {value!r}")


def f64_out(x):
    """An f64 result as JSON: non-finite values as strings (json.dumps would
    write bare NaN, which is not JSON)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def name(args):
    if args:
        raise Fail(INVALID_ARGUMENTS, f"name() takes no arguments, found {len(args)}")
    return "*"


def apply(args):
    if len(args) != 2:
        raise Fail(INVALID_ARGUMENTS, f"apply() takes 2 arguments, found {len(args)}")
    return f64_out(f64_in(args[0]) * f64_in(args[1]))


FUNCTIONS = {"name": name, "apply": apply}


def answer(line):
    try:
        request = json.loads(line)
    except ValueError as e:
        return {"id": None, "error": {"code": PARSE_ERROR, "message": f"not JSON: {e}"}}
    rid = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(rid, int) or not isinstance(request.get("args"), list):
            raise Fail(INVALID_REQUEST, "expected {\"id\", \"call\", \"args\"}")
        fn = FUNCTIONS.get(request.get("call"))
        if fn is None:
            raise Fail(UNKNOWN_FUNCTION, f"no function {request.get('call')!r}")
        return {"id": rid, "result": fn(request["args"])}
    except Fail as e:
        return {"id": rid, "error": {"code": e.code, "message": e.message}}


def main():
    if "--plugboard-describe" in sys.argv[1:]:
        print(json.dumps(HANDSHAKE))
        return 0
    if os.environ.get("PLUGBOARD_RPC_COOKIE") is None:
        print("calc_mul.py is a plugboard plugin; run it with plugboard, e.g. "
              "`plugboard calc --dir plugins/rpc \"6 * 7\"`", file=sys.stderr)
        return 1
    offered = os.environ.get("PLUGBOARD_RPC", "").split(",")
    if "1" not in offered:
        print(f"calc_mul.py speaks plugboard-rpc 1; the host offers {offered}", file=sys.stderr)
        return 1
    out = sys.stdout
    out.write(json.dumps(HANDSHAKE) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        out.write(json.dumps(answer(line), allow_nan=False) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
