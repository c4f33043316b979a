#!/usr/bin/env python3
"""Write the output of the `calibrate` example into the tables that belong to
it: the matcher's THRESHOLDS (crates/fingerprint/src/matcher/calibration.rs)
and the fusion's GENUINE and IMPOSTOR_LOW quantiles (crates/ident/src/fusion.rs),
with the FNMR its test checks beside them.

    cargo run --release -p scomm-fingerprint --example calibrate -- ../shared/data/fvc2002 > calib.txt
    python3 scripts/update_calibration.py calib.txt
"""
import re
import sys


def main(path):
    text = open(path).read()
    thresholds = re.findall(r"^\| ([0-9.]+) % \| ([0-9.]+) \|", text, re.M)
    fnmr = dict(re.findall(r"^\| ([0-9.]+) % \| [0-9.]+ \| ([0-9.]+) % \|", text, re.M))
    if len(thresholds) != 8:
        sys.exit(f"{path}: expected 8 threshold rows, found {len(thresholds)}")
    genuine_part = text.split("Genuine quantiles")[1].split("Impostor quantiles")[0]
    impostor_part = text.split("Impostor quantiles")[1]
    pair = r"\(([0-9.]+), ([0-9.]+)\)"
    genuine = re.findall(pair, genuine_part)
    impostor = re.findall(pair, impostor_part)
    if len(genuine) != 19 or len(impostor) != 5:
        sys.exit(f"{path}: expected 19 genuine and 5 impostor quantiles")

    def fmr(percent):
        exponent = {"10": "1e-1", "3": "3e-2", "1": "1e-2", "0.3": "3e-3", "0.1": "1e-3",
                    "0.03": "3e-4", "0.01": "1e-4", "0.003": "3e-5"}
        return exponent[percent]

    calibration = "crates/fingerprint/src/matcher/calibration.rs"
    src = open(calibration).read()
    rows = "".join(f"    ({fmr(p)}, {t}),\n" for p, t in thresholds)
    src = re.sub(r"(pub const THRESHOLDS: \[\(f64, f32\); 8\] = \[\n)(.*?)(\];)",
                 lambda m: m.group(1) + rows + m.group(3), src, flags=re.S)
    open(calibration, "w").write(src)

    fusion = "crates/ident/src/fusion.rs"
    src = open(fusion).read()
    rows = "    (0.0, 0.0),\n" + "".join(f"    ({q}, {s}),\n" for q, s in genuine)
    src = re.sub(r"(const GENUINE: \[\(f64, f64\); 20\] = \[\n)(.*?)(\];)",
                 lambda m: m.group(1) + rows + m.group(3), src, flags=re.S)
    rows = "    (1.0, 0.0),\n" + "".join(f"    ({q}, {s}),\n" for q, s in impostor)
    src = re.sub(r"(const IMPOSTOR_LOW: \[\(f64, f64\); 6\] = \[\n)(.*?)(\];)",
                 lambda m: m.group(1) + rows + m.group(3), src, flags=re.S)
    # The test that ties the tables to the calibration checks the FNMR
    # printed beside three of the thresholds.
    checks = ", ".join(f"({fmr(p)}, {float(fnmr[p]) / 100:.3f})" for p in ("10", "0.1", "0.01"))
    src, n = re.subn(r"for \(fmr, fnmr\) in \[[^\]]*\]", f"for (fmr, fnmr) in [{checks}]", src)
    if n != 1:
        sys.exit(f"{fusion}: the FNMR checks of tables_belong_to_the_calibrated_matcher not found")
    open(fusion, "w").write(src)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__))
