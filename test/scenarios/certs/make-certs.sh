#!/bin/sh
# Regenerates the TLS fixtures used by test/scenarios/valid/*.cfg.
# All names are under .home.arpa or .test; keys are EC prime256v1 (one RSA 2048).
# Combined PEM files (certificate followed by private key) are what HAProxy's
# "crt" / "crt-list" expect. The CA private key is discarded after signing.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -days 3650 -subj "/CN=Loadstar Test CA" \
  -keyout "$tmp/ca.key" -out ca.pem 2>/dev/null

# leaf <output.pem> <CN> <subjectAltName>
leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$2" -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" > "$tmp/leaf.ext"
  openssl x509 -req -in "$tmp/leaf.csr" -CA ca.pem -CAkey "$tmp/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -days 3650 \
    -extfile "$tmp/leaf.ext" -out "$tmp/leaf.crt" 2>/dev/null
  cat "$tmp/leaf.crt" "$tmp/leaf.key" > "$1"
}

mkdir -p sites
leaf site.pem        site.home.arpa   "DNS:site.home.arpa,DNS:*.home.arpa"
leaf api.test.pem    api.test         "DNS:api.test,DNS:*.api.test"
leaf client.pem      loadstar-client  "DNS:loadstar-client.test"
leaf sites/nas.home.arpa.pem   nas.home.arpa   "DNS:nas.home.arpa"
leaf sites/media.home.arpa.pem media.home.arpa "DNS:media.home.arpa,DNS:jellyfin.home.arpa"
leaf sites/git.home.arpa.pem   git.home.arpa   "DNS:git.home.arpa"

# A self-signed RSA 2048 certificate, the way many home-lab guides make one.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
  -subj "/CN=legacy.home.arpa" -addext "subjectAltName=DNS:legacy.home.arpa" \
  -keyout "$tmp/legacy.key" -out "$tmp/legacy.crt" 2>/dev/null
cat "$tmp/legacy.crt" "$tmp/legacy.key" > legacy.pem
