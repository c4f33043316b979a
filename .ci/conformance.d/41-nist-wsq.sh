#!/usr/bin/env bash
# WSQ cross-check against NBIS (the PyPI `wsq` package: NBIS's codec as a Pillow plugin),
# in a virtual environment under target/. On the NIST tenprint images at 0.75 bpp, scomm's
# encoder output must be byte-identical to NBIS's and decode with NBIS to exactly the pixels
# scomm's decoder gives. (The decoder's pixel identity with NBIS's reference decodings is a
# cargo test: crates/nist/tests/shared_data.rs.)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/nbis-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet "wsq==0.9" pillow
fi
cargo build --release --quiet -p scomm
"$venv/bin/python" scripts/nbis_wsq.py check ../shared/data/wsq/jnbis-tenprint "${CARGO_TARGET_DIR:-target}/release/scomm"
