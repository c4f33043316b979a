#!/usr/bin/env bash
# Hostile input for scenario files (scomm-sim): seeds are the shipped scenarios, replayed, then
# fuzzed for SIM_FUZZ_SECONDS (default 30). Any text must give a scenario or an error that names
# the file and line, never a panic.
# libFuzzer exits non-zero on any panic, timeout or single allocation over 512 MB: so does this.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${SIM_FUZZ_SECONDS:-30}"

source .ci/fuzz-lib.sh

corpus=fuzz/corpus/sim_scenario_parse
mkdir -p "$corpus"
cp -f scenarios/*.toml "$corpus/"

cd fuzz
fuzz_target sim_scenario_parse "$SECONDS_PER_TARGET" 65536
