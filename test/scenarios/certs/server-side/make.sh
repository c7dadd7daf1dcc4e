#!/bin/sh
# Regenerates the fixtures of test/proxy/tls/server-options.test.ts: a CA of its own
# ("Loadstar Origin CA") whose key signs two origin certificates and a revocation list
# (crl.pem) naming one of them (revoked.pem); the CA key is then discarded.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -days 3650 -subj "/CN=Loadstar Origin CA" -keyout "$tmp/ca.key" -out ca.pem 2>/dev/null

# leaf <output.pem> <CN>
leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$2" -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$2" > "$tmp/leaf.ext"
  openssl x509 -req -in "$tmp/leaf.csr" -CA ca.pem -CAkey "$tmp/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -days 3650 \
    -extfile "$tmp/leaf.ext" -out "$tmp/leaf.crt" 2>/dev/null
  cat "$tmp/leaf.crt" "$tmp/leaf.key" > "$1"
}
leaf origin.pem  origin.test
leaf revoked.pem revoked.test

# A minimal CA database for `openssl ca`, only to write the CRL.
mkdir -p "$tmp/db"
: > "$tmp/db/index.txt"
cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $tmp/db/index.txt
default_md = sha256
default_crl_days = 3650
CNF
openssl ca -config "$tmp/ca.cnf" -keyfile "$tmp/ca.key" -cert ca.pem -revoke revoked.pem 2>/dev/null
openssl ca -config "$tmp/ca.cnf" -keyfile "$tmp/ca.key" -cert ca.pem -gencrl -out crl.pem 2>/dev/null
