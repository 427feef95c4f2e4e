"""Runs a fixed set of qct commands and keeps every text and JSON output, with
timestamps and temporary paths masked, so two builds can be compared file by file.

    python3 Scripts/behaviour_snapshot.py --qct OLD/qct --out before
    python3 Scripts/behaviour_snapshot.py --qct NEW/qct --out after
    python3 Scripts/behaviour_snapshot.py --compare before after

The scans are simulated by the first binary and reused (--scans DIR), so both
builds read the same files; both read the phantom folder given (--phantoms),
so a build whose phantom files differ is compared on the files it knows. Exit status of --compare: 0 identical, 1 differences
(each named with its first differing line).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def mask(text, scans, work, phantoms):
    for path, name in ((work, "<work>"), (scans, "<scans>"), (phantoms, "<phantoms>")):
        text = text.replace(path, name).replace(path.replace("/", "\\/"), name)
    return TIMESTAMP.sub("<now>", text)


def simulate(qct, scans, phantoms):
    small = ["--matrix", "400", "--pixel-spacing", "0.9", "--slices", "40", "--thickness", "3", "--spacing", "3"]
    jobs = [
        (["simulate", "esp-on-pad", "--scanner", "QCT1", "--repeat", "6", "--reposition", "--day-variation", "--noise", "10", "--seed", "11"] + small, "QCT1"),
        (["simulate", "esp-on-pad", "--scanner", "QCT3", "--repeat", "3", "--reposition", "--noise", "10", "--seed", "12"] + small, "QCT3"),
        (["simulate", "pad", "--scanner", "QCT2", "--seed", "13"] + small, "pad"),
    ]
    for args, name in jobs:
        p = subprocess.run([qct] + args + ["--out", os.path.join(scans, name), "--phantoms", phantoms], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"simulate {name}: {p.stderr.strip()}")


def snapshot(qct, out, scans, phantoms):
    qct = os.path.abspath(qct)
    os.makedirs(out, exist_ok=True)
    work = os.path.abspath(os.path.join(out, "work"))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if not os.path.isdir(os.path.join(scans, "QCT1")):
        simulate(qct, scans, phantoms)
    s1 = os.path.join(scans, "QCT1", "scan-001")
    pad = os.path.join(scans, "pad")
    db = os.path.join(work, "qc.sqlite")
    p = ["--phantoms", phantoms]
    cases = [
        ("inspect", ["inspect", scans]),
        ("inspect-json", ["inspect", s1, "--json"]),
        ("calibrate", ["calibrate", s1, "--phantom", "mindways-model3-ct"] + p),
        ("calibrate-json", ["calibrate", s1, "--phantom", "mindways-model3-ct", "--json", "--save", os.path.join(work, "cal.json")] + p),
        ("calibrate-pad", ["calibrate", pad, "--phantom", "mindways-model3-ct", "--json"] + p),
        ("measure", ["measure", s1, "--esp"] + p),
        ("measure-json", ["measure", s1, "--esp", "--json"] + p),
        ("measure-saved", ["measure", s1, "--esp", "--json", "--calibration", os.path.join(work, "cal.json"), "--allow-mismatch"] + p),
        ("measure-pad", ["measure", pad, "--esp", "--json"] + p),
        ("precision", ["precision", os.path.join(scans, "QCT1"), os.path.join(scans, "QCT3"), "--save-measurements", os.path.join(work, "m")] + p),
        ("precision-csv", ["precision", os.path.join(work, "m"), "--csv", "-"] + p),
        ("compare", ["compare", os.path.join(work, "m"), "--reference", "QCT1"] + p),
        ("compare-json", ["compare", os.path.join(work, "m"), "--json", "-"] + p),
        ("qc-record", ["qc", "record", os.path.join(scans, "QCT1"), pad, "--db", db, "--baseline-size", "3"] + p),
        ("qc-record-json", ["qc", "record", os.path.join(scans, "QCT3"), "--db", db, "--baseline-size", "3", "--json"] + p),
        ("qc-status", ["qc", "status", "--db", db, "-v"]),
        ("qc-status-json", ["qc", "status", "--db", db, "--json"]),
        ("qc-export", ["qc", "export", "--db", db]),
        ("qc-chart", ["qc", "chart", "--db", db, "--scanner", "QCT1", "--metric", "L1 BMD", "--out", os.path.join(work, "chart.svg")]),
        ("phantoms", ["phantoms", "--json"] + p),
        ("simulate", ["simulate", "esp-on-pad", "--out", os.path.join(work, "sim"), "--repeat", "2", "--reposition", "--day-variation",
                      "--slices", "5", "--matrix", "64", "--kvp", "120", "--mas", "100"] + p),
    ]
    for name, args in cases:
        # The phantom folder is the one given, for both builds, wherever the binary lies.
        env = dict(os.environ, QCT_PHANTOMS=phantoms)
        proc = subprocess.run([qct] + args, capture_output=True, text=True, timeout=900, env=env)
        written = ""
        # Files a command writes (--out, --save, --csv) are part of its output.
        for flag in ("--out", "--save"):
            if flag in args and args[0] != "simulate":
                path = args[args.index(flag) + 1]
                if os.path.isfile(path):
                    written += f"--- {flag}\n" + mask(open(path, encoding="utf-8", errors="replace").read(), scans, work, phantoms)
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write(f"exit {proc.returncode}\n--- stdout\n{mask(proc.stdout, scans, work, phantoms)}--- stderr\n{mask(proc.stderr, scans, work, phantoms)}{written}")
    shutil.rmtree(work, ignore_errors=True)


# Keys a change may add to JSON documents on purpose (a check's measured value, its limit and
# unit); the lines holding them, and the commas they bring, are set aside before comparing.
ADDED_KEYS = re.compile(r'^\s*"(measured|limit|unit)" : .*$')


def comparable(lines, added):
    if not added:
        return lines
    kept = [l for l in lines if not ADDED_KEYS.match(l)]
    return [l.rstrip(",") for l in kept]


def compare(a, b, added=False):
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    differ = 0
    for n in names:
        pa, pb = os.path.join(a, n), os.path.join(b, n)
        if not (os.path.isfile(pa) and os.path.isfile(pb)):
            print(f"{n}: only in {'the first' if os.path.exists(pa) else 'the second'}")
            differ += 1
            continue
        la, lb = comparable(open(pa).read().splitlines(), added), comparable(open(pb).read().splitlines(), added)
        if la != lb:
            differ += 1
            k = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
            print(f"{n}: line {k + 1} differs\n  - {la[k] if k < len(la) else '<end>'}\n  + {lb[k] if k < len(lb) else '<end>'}")
    print(f"{len(names)} outputs compared, {differ} differ")
    return 1 if differ else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qct")
    ap.add_argument("--out")
    ap.add_argument("--scans", default="out/behaviour-scans")
    ap.add_argument("--phantoms", default="Phantoms")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--added-keys", action="store_true", help="set aside JSON lines of the keys measured, limit and unit")
    a = ap.parse_args()
    if a.compare:
        sys.exit(compare(*a.compare, added=a.added_keys))
    if not (a.qct and a.out):
        ap.error("--qct and --out, or --compare")
    snapshot(a.qct, a.out, os.path.abspath(a.scans), os.path.abspath(a.phantoms))


if __name__ == "__main__":
    main()
