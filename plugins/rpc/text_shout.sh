#!/usr/bin/env bash
# text_shout: a text.processor/1 plugin speaking plugboard-rpc/1, in bash: the
# port of plugins/text_shout.sh (the old plugboard-exec line protocol) with
# the same behaviour: it upper-cases ASCII letters (other bytes, UTF-8
# included, pass through) and appends "!": "hello\nworld" -> "HELLO\nWORLD!".
#
# text.processor/1 is
#   cstring name()
#   fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)
# A request carries the buffers as base64 and the usize values as decimal
# strings; the reply returns the output buffer's final contents (same length
# as sent) in "buffers" ([null, ...]: the input is unchanged), and the number
# of bytes written as the result:
#   {"id":3,"call":"process","args":["aGk=","2","AAAAAA==","4"]}
#   {"id":3,"result":"3","buffers":[null,"SEkhAA=="]}
# Diagnostics go to stderr; stdout carries protocol lines only.
set -u

HANDSHAKE='{"plugboard-rpc":1,"name":"shout","version":"0.2.0","abi":"1.0","interfaces":[{"id":"text.processor","version":"1.0","functions":["cstring name()","fallible usize process(buffer input, usize input_len, buffer output, usize output_cap)"]}]}'

if [[ "${1:-}" == "--plugboard-describe" ]]; then
  printf '%s\n' "$HANDSHAKE"
  exit 0
fi
if [[ -z "${PLUGBOARD_RPC_COOKIE:-}" ]]; then
  echo "text_shout.sh is a plugboard plugin; run it with plugboard, e.g. \`plugboard pipe --dir plugins/rpc hello\`" >&2
  exit 1
fi
if [[ ",${PLUGBOARD_RPC:-}," != *,1,* ]]; then
  echo "text_shout.sh speaks plugboard-rpc 1; the host offers ${PLUGBOARD_RPC:-nothing}" >&2
  exit 1
fi

REQUEST='^\{"id":([0-9]+),"call":"([A-Za-z_][A-Za-z0-9_]*)","args":\[(.*)\]\}$'
B64='([A-Za-z0-9+/]*={0,2})'
PROCESS_ARGS="^\"${B64}\",\"([0-9]+)\",\"${B64}\",\"([0-9]+)\"\$"

reply_error() { # id code message
  printf '{"id":%s,"error":{"code":%s,"message":"%s"}}\n' "$1" "$2" "$3"
}

# Bytes encoded by a base64 text.
decoded_size() {
  local b=$1 pad=0
  [[ "$b" == *= ]] && pad=1
  [[ "$b" == *== ]] && pad=2
  echo $((${#b} / 4 * 3 - pad))
}

process() { # id input_b64 input_len output_b64 output_cap
  local id=$1 input=$2 len=$3 output=$4 cap=$5
  local in_size out_size need
  in_size=$(decoded_size "$input")
  out_size=$(decoded_size "$output")
  need=$((len + 1))
  if ((len > in_size)); then
    reply_error "$id" 2 "input_len $len exceeds the input buffer ($in_size bytes)"
  elif ((cap > out_size)); then
    reply_error "$id" 2 "output_cap $cap exceeds the output buffer ($out_size bytes)"
  elif ((cap < need)); then
    reply_error "$id" 1 "output buffer too small: need $need bytes"
  else
    # The shouted text, then the output buffer's bytes after it, unchanged;
    # binary data stays in pipes (a bash variable cannot hold a NUL byte).
    local out
    out=$({
      printf '%s' "$input" | base64 -d | head -c "$len" | LC_ALL=C tr 'a-z' 'A-Z'
      printf '!'
      printf '%s' "$output" | base64 -d | tail -c +$((need + 1))
    } | base64 -w 0)
    printf '{"id":%s,"result":"%s","buffers":[null,"%s"]}\n' "$id" "$need" "$out"
  fi
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
      printf '{"id":%s,"result":"shout"}\n' "$id"
      ;;
    process)
      if [[ "$args" =~ $PROCESS_ARGS ]]; then
        process "$id" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}"
      else
        reply_error "$id" -32602 "process() takes (buffer, usize, buffer, usize)"
      fi
      ;;
    *)
      reply_error "$id" -32601 "no function $call"
      ;;
  esac
done
