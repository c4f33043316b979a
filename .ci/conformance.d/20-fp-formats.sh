#!/usr/bin/env bash
# Fingerprint image loaders and template formats on ../shared/data: the 408 CrossMatch palette/LZW
# TIFFs and the 320 FVC2002 TIFFs load at their sizes; the 320 FVC2002 ISO 19794-2 templates load
# and write back byte-identical; every file in iso19794-2/invalid is rejected naming the defect;
# the libbiomeval ANSI 378-2004/2009 and ISO records and the SourceAFIS templates load.
# Prints the measured load times. About 2 s after the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --release -p scomm-fingerprint --test formats_conformance -- --nocapture --test-threads=1 2>&1 |
  grep -vE '^\s+(Compiling|Running)' 
