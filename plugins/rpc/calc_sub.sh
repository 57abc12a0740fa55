#!/usr/bin/env bash
# calc-sub-bash: the calc.op/1 operator "-" as a plugboard-rpc/1 subprocess
# plugin, in bash. No jq: the host writes requests in one fixed compact shape,
# {"id":N,"call":"NAME","args":[...]}, which a bash regular expression takes
# apart. The arithmetic is awk's (IEEE doubles, as in C); values go out with
# 17 significant digits, which is enough to give back the exact double.
#
# The protocol (docs/subprocess.md), in short:
#   1. print the handshake line (the same JSON as the sidecar, calc_sub.sh.plugboard.json);
#   2. answer each request line on stdin with one reply line on stdout:
#        {"id":N,"result":VALUE}   or   {"id":N,"error":{"code":INT,"message":"..."}}
#   3. exit at end of input. Diagnostics go to stderr, never to stdout.
set -u

HANDSHAKE='{"plugboard-rpc":1,"name":"calc-sub-bash","version":"0.1.0","abi":"1.0","interfaces":[{"id":"calc.op","version":"1.0","functions":["cstring name()","fallible f64 apply(f64 a, f64 b)"]}]}'

if [[ "${1:-}" == "--plugboard-describe" ]]; then
  printf '%s\n' "$HANDSHAKE"
  exit 0
fi
if [[ -z "${PLUGBOARD_RPC_COOKIE:-}" ]]; then
  echo "calc_sub.sh is a plugboard plugin; run it with plugboard, e.g. \`plugboard calc --dir plugins/rpc \"5 - 3\"\`" >&2
  exit 1
fi
if [[ ",${PLUGBOARD_RPC:-}," != *,1,* ]]; then
  echo "calc_sub.sh speaks plugboard-rpc 1; the host offers ${PLUGBOARD_RPC:-nothing}" >&2
  exit 1
fi

# A request, and an f64 argument: a JSON number or "NaN", "Infinity", "-Infinity".
REQUEST='^\{"id":([0-9]+),"call":"([A-Za-z_][A-Za-z0-9_]*)","args":\[(.*)\]\}$'
F64='(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|"NaN"|"Infinity"|"-Infinity")'
ARGS2="^${F64},${F64}\$"

reply_error() { # id code message
  printf '{"id":%s,"error":{"code":%s,"message":"%s"}}\n' "$1" "$2" "$3"
}

# a - b for two f64 JSON tokens, as a JSON value.
subtract() {
  local a=$1 b=$2
  # awk reads inf and nan; JSON spells them as strings.
  a=${a//\"/} b=${b//\"/}
  a=${a/Infinity/inf} b=${b/Infinity/inf}
  a=${a/NaN/nan} b=${b/NaN/nan}
  local r
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.17g", a - b }')
  case "$r" in
    inf) echo '"Infinity"' ;;
    -inf) echo '"-Infinity"' ;;
    nan | -nan) echo '"NaN"' ;;
    *) echo "$r" ;;
  esac
}

printf '%s\n' "$HANDSHAKE"

while IFS= read -r line; do
  line=${line%$'\r'}
  [[ -z "${line// /}" ]] && continue
  if ! [[ "$line" =~ $REQUEST ]]; then
    reply_error null -32600 "expected {\\\"id\\\":N,\\\"call\\\":\\\"NAME\\\",\\\"args\\\":[...]}"
    continue
  fi
  id=${BASH_REMATCH[1]} call=${BASH_REMATCH[2]} args=${BASH_REMATCH[3]}
  case "$call" in
    name)
      if [[ -n "$args" ]]; then
        reply_error "$id" -32602 "name() takes no arguments"
      else
        printf '{"id":%s,"result":"-"}\n' "$id"
      fi
      ;;
    apply)
      if [[ "$args" =~ $ARGS2 ]]; then
        printf '{"id":%s,"result":%s}\n' "$id" "$(subtract "${BASH_REMATCH[1]}" "${BASH_REMATCH[4]}")"
      else
        reply_error "$id" -32602 "apply() takes two f64 arguments"
      fi
      ;;
    *)
      reply_error "$id" -32601 "no function $call"
      ;;
  esac
done
