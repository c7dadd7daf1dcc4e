#!/usr/bin/env bash
# Run real HAProxy (`haproxy -c`) over the broken configs in invalid/ (and the
# warning-only configs in warnings/) and check that each file's `# haproxy:`
# header line still matches what HAProxy says.
#
# For every file it prints: the file, HAProxy's exit code, HAProxy's ALERT
# lines (WARNING lines for warnings/), then OK or MISMATCH.
#
#   invalid/  : header `accepts` must mean exit 0; otherwise exit must be
#               non-zero and the header must equal one of the ALERT lines
#               (with the "[ALERT]    (pid) : config : " prefix removed).
#   warnings/ : exit must be 0 and the header must equal one of the WARNING
#               lines.
# Where HAProxy's message carries a line number ("[file:N]"), N must also
# equal the file's `# expect-line:` / `# expect-warning-line:` header.
#
# Usage: test/scenarios/check-invalid-with-haproxy.sh [-q] [FILE...]
#   -q      only print mismatches and the final summary
#   FILE    paths relative to test/scenarios (default: invalid/*.cfg warnings/*.cfg)
# Exit status: 0 if every header matches, 1 otherwise, 2 if haproxy is missing.
set -u
cd "$(dirname "$0")" || exit 2

quiet=0
if [ "${1:-}" = "-q" ]; then quiet=1; shift; fi

if ! command -v haproxy >/dev/null 2>&1; then
  echo "haproxy not found in PATH" >&2
  exit 2
fi

if [ $# -gt 0 ]; then files=("$@"); else files=(invalid/*.cfg warnings/*.cfg); fi

# Join HAProxy's multi-line messages and strip the "[LEVEL] (pid) : config : " prefix.
# Prints one "LEVEL<TAB>message" per diagnostic.
normalize() {
  awk '
    function flush() { if (lvl != "") { gsub(/[ \t]+/, " ", msg); sub(/ +$/, "", msg); print lvl "\t" msg }; lvl = ""; msg = "" }
    /^\[(ALERT|WARNING|NOTICE)\]/ {
      flush()
      lvl = $0; sub(/^\[/, "", lvl); sub(/\].*$/, "", lvl)
      m = $0; sub(/^\[[A-Z]+\] +\([0-9]+\) : /, "", m); sub(/^config : /, "", m)
      msg = m; next
    }
    /^(Warnings were found\.|Configuration file is valid)/ { flush(); next }
    /^[ \t]/ { if (lvl != "") { m = $0; sub(/^[ \t|]+/, "", m); msg = msg " " m }; next }
    { flush() }
    END { flush() }
  '
}

total=0; bad=0
for f in "${files[@]}"; do
  total=$((total + 1))
  out=$(haproxy -c -f "$f" 2>&1); rc=$?
  diag=$(printf '%s\n' "$out" | normalize)
  header=$(sed -n 's/^# haproxy: //p' "$f" | head -n 1)
  case "$f" in
    warnings/*) want=WARNING ;;
    *)          want=ALERT ;;
  esac
  lines=$(printf '%s\n' "$diag" | awk -F'\t' -v w="$want" '$1 == w { print $2 }' \
          | grep -v -e '^Error(s) found in configuration file' -e '^Fatal errors found in configuration')

  status=OK
  if [ -z "$header" ]; then
    status="MISMATCH (no '# haproxy:' header)"
  elif [ "$want" = ALERT ] && [ "$header" = accepts ]; then
    [ "$rc" -eq 0 ] || status="MISMATCH (header says accepts, haproxy exit $rc)"
  elif [ "$want" = ALERT ] && [ "$rc" -eq 0 ]; then
    status="MISMATCH (haproxy accepts the file)"
  elif [ "$want" = WARNING ] && [ "$rc" -ne 0 ]; then
    status="MISMATCH (haproxy rejects the file, exit $rc)"
  elif ! printf '%s\n' "$lines" | grep -qxF -- "$header"; then
    status="MISMATCH (header differs from haproxy output)"
  fi
  expect_line=$(sed -n -E 's/^# expect(-warning)?-line: *([0-9]+).*/\2/p' "$f" | head -n 1)
  hap_line=$(printf '%s\n' "$header" | grep -oF -- "[$f:" >/dev/null && \
             printf '%s\n' "$header" | sed -n -E "s/^[^[]*\[[^]]*:([0-9]+)\].*/\1/p")
  if [ "$status" = OK ] && [ -n "$hap_line" ] && [ "$hap_line" != "$expect_line" ]; then
    status="MISMATCH (haproxy reports line $hap_line, expect-line is ${expect_line:-missing})"
  fi

  if [ "$status" != OK ]; then bad=$((bad + 1)); fi
  if [ $quiet -eq 0 ] || [ "$status" != OK ]; then
    echo "== $f"
    echo "   exit: $rc"
    if [ -n "$lines" ]; then printf '%s\n' "$lines" | sed "s/^/   $want: /"; fi
    echo "   $status"
    if [ "$status" != OK ]; then echo "   header: $header"; fi
  fi
done

echo "checked $total file(s), $bad mismatch(es)"
[ "$bad" -eq 0 ]
