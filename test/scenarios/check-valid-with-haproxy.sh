#!/bin/sh
# Runs the real HAProxy config checker ("haproxy -c") on every
# test/scenarios/valid/*.cfg and prints one PASS/FAIL line per file.
# Relative paths inside the configs (certs/, errors/, patterns/) are resolved
# from test/scenarios, so that is the working directory used here.
#
# Usage: test/scenarios/check-valid-with-haproxy.sh [-v] [FILE.cfg ...]
#   -v   also print HAProxy's warnings/alerts for every file
# Exit status: 0 if every file passes, 1 otherwise (2 if haproxy is missing).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 2

verbose=0
if [ "${1-}" = "-v" ]; then verbose=1; shift; fi

HAPROXY=${HAPROXY:-haproxy}
if ! command -v "$HAPROXY" >/dev/null 2>&1; then
  echo "haproxy not found (set HAPROXY=/path/to/haproxy)" >&2
  exit 2
fi
echo "# $("$HAPROXY" -v 2>/dev/null | head -n 1)"

if [ $# -eq 0 ]; then set -- valid/*.cfg; fi

pass=0; fail=0; warn=0
for f in "$@"; do
  out=$("$HAPROXY" -c -f "$f" 2>&1)
  rc=$?
  # count warnings, ignoring the NOTICE lines every run prints
  nwarn=$(printf '%s\n' "$out" | grep -c '^\[WARNING\]')
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1))
    if [ "$nwarn" -gt 0 ]; then
      warn=$((warn + 1))
      echo "PASS $f ($nwarn warning(s))"
    else
      echo "PASS $f"
    fi
  else
    fail=$((fail + 1))
    echo "FAIL $f (exit $rc)"
  fi
  if [ $rc -ne 0 ] || [ $verbose -eq 1 ]; then
    printf '%s\n' "$out" | grep -v '^\[NOTICE\]' | sed 's/^/    /'
  fi
done

echo "# $pass passed ($warn with warnings), $fail failed"
[ $fail -eq 0 ]
