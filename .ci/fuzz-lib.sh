# Sourced by the fuzzing scripts in conformance.d: installs cargo-fuzz when it is missing, and
# defines fuzz_target, which replays a target's corpus, then fuzzes it.
# Usage (from fuzz/): fuzz_target TARGET SECONDS MAX_LEN
# libFuzzer exits non-zero on any panic, timeout or single allocation over 512 MB: so does this.
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

fuzz_target() {
  local target=$1 seconds=$2 max_len=$3
  echo "--- $target: replay corpus"
  cargo fuzz run --sanitizer none "$target" "corpus/$target" -- -runs=0 -malloc_limit_mb=512 -timeout=30
  echo "--- $target: fuzz ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -malloc_limit_mb=512 -timeout=20 \
    -use_value_profile=1 -print_final_stats=1 2>&1 | grep -E 'DONE|Done|stat::number_of_executed_units|ERROR|panicked|SUMMARY' || true
  # grep hides the progress lines; the exit status that matters is cargo fuzz's.
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "fuzzing $target found a failure: see fuzz/artifacts/$target/" >&2
    exit 1
  fi
}
