#!/bin/sh
# text_shout: an exec plugin for text.processor/1, written in POSIX sh. It
# uppercases ASCII letters and appends "!": "hello\nworld" -> "HELLO\nWORLD!".
#
# The plugboard-exec line protocol (docs/isolation.md):
#   1. print the handshake:            plugboard-exec 1 text.processor/1 NAME
#   2. for each request on stdin:      process BASE64
#      answer one line, in order:      ok BASE64   or   error MESSAGE
#   3. exit at end of input.
# Texts travel as base64 of their UTF-8 bytes, so newlines survive; stdout
# carries protocol lines only (write diagnostics to stderr).
set -u

case ",${PLUGBOARD_EXEC_PROTOCOL:-}," in
  *,1,*) ;;
  *)
    echo "text_shout: the host speaks protocol ${PLUGBOARD_EXEC_PROTOCOL:-(none)}, I speak 1" >&2
    exit 1
    ;;
esac

echo "plugboard-exec 1 text.processor/1 shout"

while IFS=' ' read -r request payload; do
  case "$request" in
    process)
      # base64 -d fails on malformed input: answer an error, keep serving.
      if ! printf '%s' "$payload" | base64 -d >/dev/null 2>&1; then
        echo "error invalid base64 in request"
        continue
      fi
      # Upper-case ASCII bytes only (other UTF-8 bytes pass through), add "!",
      # and re-encode on one line. No $(...) around the text itself, so
      # trailing newlines are kept.
      out=$( { printf '%s' "$payload" | base64 -d | LC_ALL=C tr 'a-z' 'A-Z'; printf '!'; } | base64 | tr -d '\n')
      echo "ok $out"
      ;;
    *)
      echo "error unknown request \"$request\""
      ;;
  esac
done
