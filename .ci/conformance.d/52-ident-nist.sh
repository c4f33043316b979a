#!/usr/bin/env bash
# `scomm ident` on NIST's reference transactions: the ten-print card as Type-4 records enrolled,
# the same card as Type-14 records (another encoding of the same prints) found, a transaction
# with slaps only refused by name, and the subject purged. A few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
nist=../shared/data/ansi-nist/jnbis-nist-reference
if [ ! -f "$nist/type-4-tpcard.an2" ] || [ ! -f "$nist/type-14-tpcard-nqm.an2" ]; then
  echo "NIST reference transactions absent: skipped"
  exit 0
fi
cargo build --release --quiet -p scomm
bin=${CARGO_TARGET_DIR:-target}/release/scomm
gallery=$(mktemp -d)/nist.gal
trap 'rm -rf "$(dirname "$gallery")"' EXIT

"$bin" ident enrol "$gallery" --subject 1 --nist "$nist/type-4-tpcard.an2"
"$bin" ident enrol "$gallery" --subject 2 --nist "$nist/type-9-4-iafis.an2"
out=$("$bin" ident search "$gallery" --nist "$nist/type-14-tpcard-nqm.an2")
echo "$out"
case "$out" in
  "ident: subject 1 "*) ;;
  *) echo "the Type-14 card did not find subject 1" >&2; exit 1 ;;
esac
if err=$("$bin" ident search "$gallery" --nist "$nist/type-4-14-slaps.an2" 2>&1); then
  echo "a slaps-only transaction was searched: $err" >&2
  exit 1
fi
echo "refused as expected: $err"
"$bin" ident remove "$gallery" --subject 1
out=$("$bin" ident search "$gallery" --nist "$nist/type-14-tpcard-nqm.an2" --json)
case "$out" in
  *'"decision":"non-ident"'*) echo "after removal: non-ident" ;;
  *) echo "subject 1 still answers after removal: $out" >&2; exit 1 ;;
esac
