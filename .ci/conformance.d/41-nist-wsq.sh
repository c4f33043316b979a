#!/usr/bin/env bash
# WSQ cross-check against NBIS (the PyPI `wsq` package: NBIS's codec as a Pillow plugin),
# in a virtual environment under target/. scomm's encoder output must decode with NBIS to
# exactly the pixels scomm's decoder gives, at a compression ratio and RMS error within 10%
# of NBIS's own encoder (0.75 bpp) on the NIST tenprint images. (The decoder's pixel identity
# with NBIS's reference decodings is a cargo test: crates/nist/tests/shared_data.rs.)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/nbis-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet wsq pillow
fi
cargo build --release --quiet -p scomm
"$venv/bin/python" scripts/nbis_wsq.py check ../shared/data/wsq/jnbis-tenprint "${CARGO_TARGET_DIR:-target}/release/scomm"
