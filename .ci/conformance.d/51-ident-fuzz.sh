#!/usr/bin/env bash
# Hostile input for the 1:N gallery file (scomm-ident): seeds are small galleries the benchmark
# writes (4 and 1 synthetic ten-print subjects), replayed, then fuzzed for IDENT_FUZZ_SECONDS
# (default 30). The fuzz build skips the file's checksum (`cfg(fuzzing)`), so mutations reach the
# structural checks behind it; what loads must also search and write back the same bytes.
# libFuzzer exits non-zero on any panic, timeout or single allocation over 512 MB: so does this.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${IDENT_FUZZ_SECONDS:-30}"

source .ci/fuzz-lib.sh

corpus=fuzz/corpus/ident_gallery_load
mkdir -p "$corpus"
for fingers in 40 10; do
  ./target/release/scomm bench ident --sizes "$fingers" --searches 1 --mated 1 --non-mated 1 \
    --file "$corpus/seed-$fingers.scg" > /dev/null
done

cd fuzz
fuzz_target ident_gallery_load "$SECONDS_PER_TARGET" 200000
