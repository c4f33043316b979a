#!/usr/bin/env bash
# Hostile input for the fingerprint crate: fuzz the ISO/ANSI/native template parser and the image
# loaders (PNG, BMP, TIFF, PGM, WSQ). Seeds a corpus from ../shared/data plus small generated images of
# every supported kind, replays it, then fuzzes each target for FP_FUZZ_SECONDS (default 30).
# libFuzzer exits non-zero on any panic, timeout or single allocation over 512 MB: so does this.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${FP_FUZZ_SECONDS:-30}"

source .ci/fuzz-lib.sh

templates=fuzz/corpus/fp_template_parse
images=fuzz/corpus/fp_image_decode
mkdir -p "$templates" "$images"
cp -f ../shared/data/iso19794-2/fvc2002/DB1_B/10[1-3]_1.iso ../shared/data/iso19794-2/invalid/*.iso \
  ../shared/data/ansi-nist/libbiomeval/fmr.* ../shared/data/sourceafis-testimages/*.dat "$templates/"
cp -f ../shared/data/neurotech-crossmatch/012_3_1.tif ../shared/data/fvc2002/DB3_B/101_1.tif \
  ../shared/data/wsq/jnbis-sample/sample.wsq "$images/"
chmod u+w "$templates"/* "$images"/*
# An ISO record of the accurate profile (its vendor extended data block), for the fuzzer to vary.
python3 - "$templates" <<'PY'
import struct, sys
block = b'scomm profile=accurate'
minutiae = [(1, 100, 120, 30, 60), (2, 180, 90, 200, 40), (1, 60, 200, 128, 80)]
view = bytes([0, 0, 60, len(minutiae)]) + b''.join(
    struct.pack('>HHBB', kind << 14 | x, y, angle, quality) for kind, x, y, angle, quality in minutiae)
view += struct.pack('>HHH', 4 + len(block), 0x5343, 4 + len(block)) + block
header = b'FMR\0 20\0' + struct.pack('>IHHHHHBB', 24 + len(view), 0, 300, 400, 197, 197, 1, 0)
open(f'{sys.argv[1]}/accurate.iso', 'wb').write(header + view)
PY

# Small images of each format and variant the loaders handle (the shared ones are large).
python3 - "$images" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
def chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)
def png(name, w, h, ct, depth, rows, plte=None):
    b = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ct, 0, 0, 0))
    if plte:
        b += chunk(b'PLTE', plte)
    b += chunk(b'IDAT', zlib.compress(b''.join(b'\0' + r for r in rows))) + chunk(b'IEND', b'')
    open(f'{d}/{name}', 'wb').write(b)
w, h = 12, 9
grey = [bytes((x * 20 + y * 7) % 256 for x in range(w)) for y in range(h)]
png('grey.png', w, h, 0, 8, grey)
png('rgb.png', w, h, 2, 8, [bytes(v for p in r for v in (p, 255 - p, p // 2)) for r in grey])
png('pal.png', w, h, 3, 8, [bytes(p % 3 for p in r) for r in grey], plte=bytes([0, 0, 0, 128, 128, 128, 255, 255, 255]))
png('ga16.png', 4, 2, 4, 16, [bytes(8 * 4)] * 2)
open(f'{d}/p5.pgm', 'wb').write(b'P5 12 9 255\n' + b''.join(grey))
open(f'{d}/p2.pgm', 'w').write('P2\n# c\n3 2\n15\n0 5 10 15 1 2\n')
open(f'{d}/p6.ppm', 'wb').write(b'P6 2 1 65535\n' + bytes(12))
def bmp(name, w, h, bits, comp, palette, data):
    end = 14 + 40 + len(palette) * 4
    b = b'BM' + struct.pack('<IHHI', end + len(data), 0, 0, end)
    b += struct.pack('<IiiHHIIiiII', 40, w, h, 1, bits, comp, len(data), 0, 0, len(palette), 0)
    open(f'{d}/{name}', 'wb').write(b + b''.join(bytes(p) for p in palette) + data)
pal = [(i, i, i, 0) for i in range(256)]
bmp('g8.bmp', w, h, 8, 0, pal, b''.join(r + bytes(-w % 4) for r in grey))
bmp('rle8.bmp', 4, 2, 8, 1, pal, bytes([3, 200, 1, 10, 0, 0, 0, 4, 1, 2, 3, 4, 0, 2, 1, 0, 0, 1]))
bmp('rgb24.bmp', 2, 2, 24, 0, [], (bytes(range(6)) + bytes(2)) * 2)
def tiff(name, w, h, bits, comp, photometric, strip, extra=()):
    tags = sorted([(256, 4, [w]), (257, 4, [h]), (258, 3, [bits]), (259, 3, [comp]), (262, 3, [photometric]),
                   (273, 4, [8]), (277, 3, [1]), (278, 4, [h]), (279, 4, [len(strip)])] + list(extra))
    ifd = 8 + len(strip) + len(strip) % 2
    out = b'II*\0' + struct.pack('<I', ifd) + strip + bytes(len(strip) % 2)
    extra_at = ifd + 2 + 12 * len(tags) + 4
    entries, blob = b'', b''
    for tag, kind, vals in tags:
        enc = b''.join(struct.pack('<H' if kind == 3 else '<I', v) for v in vals)
        if len(enc) <= 4:
            entries += struct.pack('<HHI', tag, kind, len(vals)) + enc.ljust(4, b'\0')
        else:
            entries += struct.pack('<HHII', tag, kind, len(vals), extra_at + len(blob))
            blob += enc
    open(f'{d}/{name}', 'wb').write(out + struct.pack('<H', len(tags)) + entries + bytes(4) + blob)
tiff('grey.tif', w, h, 8, 1, 1, b''.join(grey))
cmap = [i * 257 for i in range(16)] * 3
tiff('pal4.tif', 4, 2, 4, 1, 3, bytes([0x01, 0x23, 0x45, 0x67]), [(320, 3, cmap)])
tiff('packbits_pal4.tif', 4, 2, 4, 32773, 3, bytes([1, 0x01, 0x23, 0xff, 0x45]), [(320, 3, cmap)])
# A 120x120 print-like PGM (curved ridges, a period of 9 px) that the fuzz target extracts.
import math
ridges = bytes(int(128 + 100 * math.sin(2 * math.pi * (x + 0.004 * (y - 60) ** 2) / 9)) for y in range(120) for x in range(120))
open(f'{d}/ridges.pgm', 'wb').write(b'P5 120 120 255\n' + ridges)
PY

cd fuzz
for target in fp_template_parse fp_image_decode; do
  fuzz_target "$target" "$SECONDS_PER_TARGET" 65536
done
