#!/usr/bin/env python3
"""Compare builds of `match_bench` on this noisy machine: run them in turn,
several times, and print each build's best and worst comparisons/s per
folder, and whether their score hashes agree.

Why: the machine's speed moves by up to a third between runs minutes apart
(BENCHMARKS.md, "How the machine's speed moves"), so one run of each build
says little. Alternating the builds exposes them to the same slow and fast
spells, and the best of many runs is the steadiest figure.

    cargo build --release -p scomm-fingerprint --example match_bench
    cp target/release/examples/match_bench /tmp/mb_new   # and an older build as /tmp/mb_old
    scripts/ab_match_bench.py --runs 5 --rounds 3 --cache /tmp/fpc \\
        /tmp/mb_old /tmp/mb_new -- ../shared/data/fvc2002/DB1_B ../shared/data/fvc2002/DB2_B:569

Arguments after `--` are passed to every build (folders, `--profile accurate`).
A build whose score hashes differ from the first build's is flagged: a change
meant only to be faster must keep them.
"""

import argparse
import re
import subprocess
import sys
from collections import defaultdict

LINE = re.compile(r"^(\S+)\s+\d+ pairs.*best\s+(\d+) cmp/s.*scores ([0-9a-f]+)")


def run(binary, rounds, cache, rest):
    cmd = [binary, "--rounds", str(rounds)]
    if cache:
        cmd += ["--cache", cache]
    try:
        out = subprocess.run(cmd + rest, capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"cannot run {binary}: {e.strerror} (give the path of a match_bench build)")
    if out.returncode != 0:
        sys.exit(f"{binary} failed ({out.returncode}):\n{out.stderr}")
    rows = {}
    for line in (out.stdout + out.stderr).splitlines():
        m = LINE.match(line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), m.group(3))
    if not rows:
        sys.exit(f"{binary} printed no `cmp/s` lines:\n{out.stdout}{out.stderr}")
    return rows


def main():
    argv = sys.argv[1:]
    rest = []
    if "--" in argv:
        cut = argv.index("--")
        argv, rest = argv[:cut], argv[cut + 1 :]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="runs of each build (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="match_bench rounds per run (default 3)")
    p.add_argument("--cache", help="template cache folder, passed as --cache")
    p.add_argument("builds", nargs="+", help="match_bench binaries to compare")
    args = p.parse_args(argv)
    if not rest:
        p.error("give the folders after `--`")

    speeds = defaultdict(list)  # (build, folder) -> [cmp/s]
    hashes = {}  # (build, folder) -> score hash
    for _ in range(args.runs):
        for build in args.builds:
            for folder, (speed, digest) in run(build, args.rounds, args.cache, rest).items():
                speeds[(build, folder)].append(speed)
                hashes[(build, folder)] = digest
    folders = sorted({f for _, f in speeds})
    reference = args.builds[0]
    print(f"{'build':<28} " + " ".join(f"{f:>22}" for f in folders))
    for build in args.builds:
        cells = []
        for f in folders:
            s = speeds[(build, f)]
            cells.append(f"{max(s):>9} ({min(s)}-{max(s)})".rjust(22))
        print(f"{build[-28:]:<28} " + " ".join(cells))
    for build in args.builds[1:]:
        differ = [f for f in folders if hashes.get((build, f)) != hashes.get((reference, f))]
        if differ:
            print(f"{build}: scores differ from {reference} on {', '.join(differ)}")
        else:
            print(f"{build}: same scores as {reference}")


if __name__ == "__main__":
    main()
