#!/usr/bin/env bash
# Hostile input: fuzz the ANSI/NIST-ITL parser and the WSQ decoder (scomm-nist).
# Seeds a corpus from ../shared/data (plus a few small generated WSQ files), replays it, then
# fuzzes each target for about 60 s. libFuzzer exits non-zero on any panic, crash, timeout or
# a single allocation over 512 MB (a 4 GiB length field must not allocate 4 GiB): so does this.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${NIST_FUZZ_SECONDS:-60}"

source .ci/fuzz-lib.sh

mkdir -p fuzz/corpus/an2k_parse fuzz/corpus/wsq_decode
find ../shared/data/ansi-nist -type f \( -name '*.an2' -o -name '*.an2k' -o -name '*.eft' \) \
  -exec cp -f {} fuzz/corpus/an2k_parse/ \;
find ../shared/data/wsq -type f -name '*.wsq' -exec cp -f {} fuzz/corpus/wsq_decode/ \;

# Small WSQ seeds (the shared ones are 0.4-1.6 Mpx: slow to mutate): odd and even sizes.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
python3 - "$seeds" <<'PY'
import math, struct, sys, zlib
def png(path, w, h):
    rows = b"".join(b"\0" + bytes(int(128 + 100 * math.sin(math.hypot(x - w / 2, y - h / 2) / 2.5)) for x in range(w)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
for w, h in [(64, 48), (33, 41), (37, 32), (120, 90)]:
    png(f"{sys.argv[1]}/seed-{w}x{h}.png", w, h)
PY
for p in "$seeds"/*.png; do
  cargo run --release --quiet -- wsq encode "$p" "fuzz/corpus/wsq_decode/$(basename "$p" .png).wsq" >/dev/null
done

cd fuzz
for target in an2k_parse wsq_decode; do
  fuzz_target "$target" "$SECONDS_PER_TARGET" 65536
done
