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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def replace_table(src, header, rows, where):
    """The rows of the table that `header` opens, replaced; exits if absent."""
    src, n = re.subn("(" + re.escape(header) + r"\n)(.*?)(\];)",
                     lambda m: m.group(1) + rows + m.group(3), src, flags=re.S)
    if n != 1:
        sys.exit(f"{where}: `{header}` not found")
    return src


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

    calibration = ROOT / "crates/fingerprint/src/matcher/calibration.rs"
    src = calibration.read_text()
    rows = "".join(f"    ({fmr(p)}, {t}),\n" for p, t in thresholds)
    src = replace_table(src, "pub const THRESHOLDS: [(f64, f32); 8] = [", rows, calibration)
    calibration.write_text(src)

    fusion = ROOT / "crates/ident/src/fusion.rs"
    src = fusion.read_text()
    rows = "    (0.0, 0.0),\n" + "".join(f"    ({q}, {s}),\n" for q, s in genuine)
    src = replace_table(src, "const GENUINE: [(f64, f64); 20] = [", rows, fusion)
    rows = "    (1.0, 0.0),\n" + "".join(f"    ({q}, {s}),\n" for q, s in impostor)
    src = replace_table(src, "const IMPOSTOR_LOW: [(f64, f64); 6] = [", rows, fusion)
    # The test that ties the tables to the calibration checks the FNMR
    # printed beside three of the thresholds.
    checks = ", ".join(f"({fmr(p)}, {float(fnmr[p]) / 100:.3f})" for p in ("10", "0.1", "0.01"))
    src, n = re.subn(r"for \(fmr, fnmr\) in \[[^\]]*\]", f"for (fmr, fnmr) in [{checks}]", src)
    if n != 1:
        sys.exit(f"{fusion}: the FNMR checks of tables_belong_to_the_calibrated_matcher not found")
    fusion.write_text(src)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__))
