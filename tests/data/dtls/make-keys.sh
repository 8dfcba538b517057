#!/bin/sh
# Regenerates the DTLS test keys and certificates in this directory (see README.md).
# Run once by hand; the outputs are committed so every test run uses the same files.
set -eu
cd "$(dirname "$0")"
days=36500  # about 100 years: the tests must not start failing when a certificate expires

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# A test CA, and a second one that signs nothing the tests trust (for refusal tests).
for ca in ca other-ca; do
  key "$ca.key"
  openssl req -x509 -new -key "$ca.key" -sha256 -days $days -subj "/CN=lwm2md test $ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$ca.crt"
done

# Server and client certificates, signed by ca. The server's names 127.0.0.1, as the tests use.
leaf() {  # name cn san
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=%s\n' \
    "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days $days \
    -extfile "$1.ext" -out "$1.crt"
  rm -f "$1.csr" "$1.ext"
}
leaf server lwm2m-test-server "IP:127.0.0.1,DNS:localhost"
leaf client e2e-gw "DNS:e2e-gw"
rm -f ca.srl

# Raw public keys (RFC 7250): a key pair each, the public half as SubjectPublicKeyInfo.
for who in client-rpk server-rpk; do
  key "$who.key"
  openssl pkey -in "$who.key" -pubout -out "$who.pub"
done

# DER copies: what the Security object holds (/0/x/3, /0/x/4, /0/x/5).
for f in ca server client other-ca; do openssl x509 -in "$f.crt" -outform DER -out "$f.crt.der"; done
# PKCS#8 (as in the PEM files), not the traditional SEC1 form openssl pkey would write.
for f in server client client-rpk server-rpk; do openssl pkcs8 -topk8 -nocrypt -in "$f.key" -outform DER -out "$f.key.der"; done
for f in client-rpk server-rpk; do openssl pkey -pubin -in "$f.pub" -pubout -outform DER -out "$f.pub.der"; done
