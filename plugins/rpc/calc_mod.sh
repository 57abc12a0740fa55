#!/usr/bin/env bash
# calc-mod-oneshot: the calc.op/1 operator "%" (C's fmod) as a one-shot
# subprocess plugin (docs/subprocess.md, "One-shot mode"): the host runs it
# once per call, as a seed-style command-line tool:
#
#   ./calc_mod.sh name          prints  %
#   ./calc_mod.sh apply 7 2     prints  1
#   ./calc_mod.sh apply 7 0     prints "division by zero" on stderr, exits 1
#
# Arguments and the result are text: decimal numbers, or NaN, Infinity,
# -Infinity. Exit status 0 is success; any other status is the error code the
# host reports (CALL_FAILED), with the last line of stderr as its message. The
# sidecar (calc_mod.sh.plugboard.json, "mode": "oneshot") declares the
# functions, since a one-shot plugin has no handshake.
set -u

METADATA='{"plugboard-rpc":1,"name":"calc-mod-oneshot","version":"0.1.0","abi":"1.0","mode":"oneshot","interfaces":[{"id":"calc.op","version":"1.0","functions":["cstring name()","fallible f64 apply(f64 a, f64 b)"]}]}'

case "${1:-}" in
  --plugboard-describe)
    printf '%s\n' "$METADATA"
    ;;
  name)
    printf '%%\n'
    ;;
  apply)
    if [[ $# -ne 3 ]]; then
      echo "usage: calc_mod.sh apply A B" >&2
      exit 2
    fi
    # awk reads nan, inf and infinity; the protocol spells them NaN, Infinity.
    a=${2,,} b=${3,,}
    r=$(awk -v a="$a" -v b="$b" 'BEGIN {
      if (b + 0 == 0 && b !~ /nan/) { print "division by zero" > "/dev/stderr"; exit 1 }
      printf "%.17g", a % b
    }') || exit 1
    case "$r" in
      inf) echo Infinity ;;
      -inf) echo -Infinity ;;
      nan | -nan) echo NaN ;;
      *) echo "$r" ;;
    esac
    ;;
  *)
    echo "calc_mod.sh: unknown function \"${1:-}\"; functions: name, apply" >&2
    exit 2
    ;;
esac
