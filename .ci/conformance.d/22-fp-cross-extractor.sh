#!/usr/bin/env bash
# Templates from another extractor: the commercial extractor's FVC2002 ISO 19794-2 templates
# against each other and against this engine's extractions (as stored, and with the files'
# stretch to 300 x 400 undone), pass rates at the FMR 1 % threshold. About 4 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --release -p scomm-fingerprint --test cross_extractor_conformance -- --nocapture 2>&1 |
  grep -vE '^\s+(Compiling|Running)'
