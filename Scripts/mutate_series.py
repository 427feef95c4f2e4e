#!/usr/bin/env python3
"""Whole-series mutation: damages real series the way scanners, PACS and people do, and runs
qct's inspect, calibrate, measure and qc record on every mutant.

Sources: simulated series written by qct through DCMTK (the calibration pad, 128 x 128 x 4, and
the ESP on the pad, 128 x 128 x 48, each at a seeded random scanner and position) and four real
slices of pylinac's CatPhan 504 scan. Each mutant is a copy of one source with 1-3 of:

  truncate      a file cut at a random byte
  bitflip       1-32 random bits flipped in a file
  overwrite     a run of 1-64 random bytes written over a file
  header        a header attribute set to a hostile value or deleted (pydicom; see HEADER_EDITS)
  syntax        the file meta's transfer syntax changed to one the pixels are not in
  swap          a slice replaced by a slice of another series
  duplicate     a slice copied under a second name (a duplicated instance)
  drop          a slice deleted (a gap)
  empty         a file emptied
  stranger      a non-DICOM file added (text, random bytes)
  nest          a slice moved into a subfolder

Checks, for every command on every mutant:
  - it ends within the time limit (no hang) and with an exit status qct documents (0-4), never a
    signal (no crash);
  - every line of standard error that refuses something names the mutant's file or folder, and
    none is an error qct did not explain (`Error: …` from an exception nobody handled);
  - a result (exit 0, 3 or 4) with --json is JSON, and no NaN or Infinity reaches standard output;
  - the QC database passes `pragma integrity_check` after every recording, and its row counts
    never fall (nothing stored is lost).

Failing mutants are kept under OUT/failures/. Prints a JSON summary; exit status 1 on any failure.

Usage: mutate_series.py QCT PHANTOMS FIXTURES OUT [--count N] [--seed S] [--jobs J]
"""
import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import warnings

import pydicom
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, JPEG2000Lossless, JPEGBaseline8Bit,
                         JPEGLosslessSV1, JPEGLSLossless, RLELossless)

warnings.filterwarnings("ignore")
pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE

TIMEOUT = 120
EXIT_CODES = {0, 1, 2, 3, 4}
# A number printed as NaN or infinite; a word quoted from a file ("nan" as a header held it) is not one.
NUMBER = re.compile(rb'(?<![\w"])(NaN|nan|-?Infinity|-?inf)(?![\w"])')

HEADER_EDITS = {
    "Rows": [0, 1, 7, 65535, 257],
    "Columns": [0, 1, 7, 65535, 255],
    "PixelSpacing": [["0", "0"], ["-1", "1"], ["1e308", "1"], ["nan", "1"], ["x", "y"], ["0.5"]],
    "ImagePositionPatient": [["0", "0", "0"], ["1e308", "0", "0"], ["a", "b", "c"], ["1", "2"], ["nan", "0", "0"]],
    "ImageOrientationPatient": [["0"] * 6, ["1", "0", "0", "0", "0", "1"], ["0.7071", "0.7071", "0", "0", "0", "1"], ["1", "0"]],
    "SliceThickness": ["0", "-3", "1e300", "abc"],
    "SpacingBetweenSlices": ["0", "-1", "1e300"],
    "RescaleSlope": ["0", "-1", "1e30", "nan", "abc"],
    "RescaleIntercept": ["-1e30", "32768", "inf", "x"],
    "BitsAllocated": [1, 8, 12, 32, 64],
    "BitsStored": [0, 1, 20, 33],
    "HighBit": [0, 31, 40],
    "PixelRepresentation": [0, 1, 2],
    "SamplesPerPixel": [0, 3, 4],
    "PhotometricInterpretation": ["RGB", "PALETTE COLOR", "MONOCHROME1", ""],
    "NumberOfFrames": ["0", "2", "100000", "-1", "x"],
    "SeriesInstanceUID": ["", "1.2.3", "9" * 64],
    "SOPInstanceUID": ["", "1.2.3"],
    "Modality": ["MR", "", "OT"],
    "KVP": ["abc", "-120", "1e9"],
    "AcquisitionDate": ["20261399", "x", ""],
    "AcquisitionTime": ["256161", "x"],
    "InstanceNumber": ["-1", "x", "99999999999"],
    "ConvolutionKernel": ["K" * 400, ""],
    "PixelPaddingValue": [0, -2000, 65535],
}
DELETABLE = ["PixelData", "Rows", "Columns", "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient",
             "RescaleSlope", "RescaleIntercept", "BitsAllocated", "SeriesInstanceUID", "Modality", "SOPClassUID"]
SYNTAXES = [RLELossless, JPEGBaseline8Bit, JPEGLosslessSV1, JPEGLSLossless, JPEG2000Lossless, ExplicitVRBigEndian,
            DeflatedExplicitVRLittleEndian]


def prepare_sources(qct, phantoms, fixtures, out, seed):
    sources = os.path.join(out, "sources")
    shutil.rmtree(sources, ignore_errors=True)
    made = []
    for k, (scene, slices) in enumerate([("pad", 4), ("esp-on-pad", 48), ("pad", 4), ("esp-on-pad", 48)]):
        folder = os.path.join(sources, f"{scene}-{k}")
        subprocess.run([qct, "simulate", scene, "--out", folder, "--matrix", "128", "--slices", str(slices),
                        "--pixel-spacing", "3.5", "--spacing", "3", "--thickness", "3", "--seed", str(seed + k),
                        "--scanner", f"QCT{k % 3 + 1}", "--vary", "--phantoms", phantoms],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.remove(os.path.join(folder, "truth.json"))
        made.append(folder)
    catphan = os.path.join(fixtures, "catphan", "High quality head")
    names = sorted(os.listdir(catphan))
    folder = os.path.join(sources, "catphan")
    os.makedirs(folder)
    for n in names[len(names) // 2: len(names) // 2 + 4]:
        shutil.copy(os.path.join(catphan, n), folder)
    made.append(folder)
    return made


def dicom_files(folder):
    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.join(root, n) for n in sorted(names)]
    return found


def set_hostile(ds, name, value):
    """Sets `name` to `value`, even where its VR cannot hold it (written as LO text then)."""
    tag = pydicom.datadict.tag_for_keyword(name)
    if name == "PixelPaddingValue":
        ds.add_new(tag, "SS" if value < 0 else "US", value)
        return
    try:
        setattr(ds, name, value)
    except ValueError:
        ds.add_new(tag, "LO", "\\".join(value) if isinstance(value, list) else str(value))


def with_syntax(data, uid):
    """The file with its meta header's Transfer Syntax UID replaced (and the group length fixed),
    the data set left as it was: a file that says it is in a syntax its pixels are not in."""
    i = data.find(b"\x02\x00\x10\x00UI")
    if i < 0:
        return data
    n = int.from_bytes(data[i + 6:i + 8], "little")
    v = str(uid).encode()
    v += b"\0" * (len(v) % 2)
    out = data[:i + 6] + len(v).to_bytes(2, "little") + v + data[i + 8 + n:]
    g = out.find(b"\x02\x00\x00\x00UL\x04\x00")
    if g >= 0:
        length = int.from_bytes(out[g + 8:g + 12], "little") + len(v) - n
        out[g + 8:g + 12] = length.to_bytes(4, "little")
    return out


def mutate(rng, folder, sources):
    files = dicom_files(folder)
    if not files:
        return "none"
    op = rng.choice(["truncate", "bitflip", "overwrite", "header", "header", "header", "syntax", "swap",
                     "duplicate", "drop", "empty", "stranger", "nest"])
    f = rng.choice(files)
    data = bytearray(open(f, "rb").read())
    if op == "truncate":
        open(f, "wb").write(data[: rng.randrange(0, max(1, len(data)))])
    elif op == "bitflip":
        for _ in range(rng.randint(1, 32)):
            if data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        open(f, "wb").write(data)
    elif op == "overwrite":
        if data:
            at = rng.randrange(len(data))
            run = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            data[at: at + len(run)] = run
        open(f, "wb").write(data)
    elif op in ("header", "syntax"):
        try:
            ds = pydicom.dcmread(f, force=True)
            if op == "syntax":
                open(f, "wb").write(with_syntax(data, rng.choice(SYNTAXES)))
                return op
            if rng.random() < 0.25:
                name = rng.choice(DELETABLE)
                if name in ds:
                    delattr(ds, name)
            else:
                name = rng.choice(sorted(HEADER_EDITS))
                set_hostile(ds, name, rng.choice(HEADER_EDITS[name]))
            ds.save_as(f, enforce_file_format=False)
        except Exception as e:  # pydicom cannot read or write it: damage the bytes instead
            open(f, "wb").write(data[: len(data) // 2])
            op += f"(fallback: {type(e).__name__})"
    elif op == "swap":
        other = rng.choice([s for s in sources if s != folder])
        donor = rng.choice(dicom_files(other))
        shutil.copy(donor, f)
    elif op == "duplicate":
        shutil.copy(f, f + ".copy.dcm")
    elif op == "drop":
        os.remove(f)
    elif op == "empty":
        open(f, "wb").close()
    elif op == "stranger":
        name = os.path.join(folder, rng.choice(["notes.txt", "DICOMDIR", "x.dcm"]))
        open(name, "wb").write(bytes(rng.randrange(256) for _ in range(rng.randint(0, 4096))) if rng.random() < 0.5
                               else b"not a DICOM file\n")
    elif op == "nest":
        sub = os.path.join(folder, "sub")
        os.makedirs(sub, exist_ok=True)
        shutil.move(f, os.path.join(sub, os.path.basename(f)))
    return op


def commands(qct, phantoms, mutant, db, source):
    phantom = "catphan504-ctp404" if "catphan" in source else "mindways-model3-ct"
    return [
        ("inspect", [qct, "inspect", mutant]),
        ("calibrate", [qct, "calibrate", mutant, "--phantom", phantom, "--phantoms", phantoms, "--json"]),
        ("measure", [qct, "measure", mutant, "--phantoms", phantoms, "--json"]),
        ("qc record", [qct, "qc", "record", mutant, "--db", db, "--phantoms", phantoms, "--baseline-size", "3"]),
    ]


def row_counts(db):
    if not os.path.exists(db):
        return {}
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def integrity(db):
    if not os.path.exists(db):
        return "ok"
    con = sqlite3.connect(db)
    try:
        return ";".join(r[0] for r in con.execute("pragma integrity_check"))
    finally:
        con.close()


def worker(args):
    qct, phantoms, out, sources, index, seed, count = args
    rng = random.Random(seed * 1_000_003 + index)
    db = os.path.join(out, f"qc-{index}.sqlite")
    stats = {"mutants": 0, "runs": 0, "operators": {}, "exit": {}, "failures": []}
    for m in range(count):
        source = rng.choice(sources)
        mutant = os.path.join(out, f"work-{index}", f"m{m:05d}")
        shutil.rmtree(mutant, ignore_errors=True)
        shutil.copytree(source, mutant)
        ops = [mutate(rng, mutant, sources) for _ in range(rng.randint(1, 3))]
        for op in ops:
            stats["operators"][op] = stats["operators"].get(op, 0) + 1
        problems = []
        for name, cmd in commands(qct, phantoms, mutant, db, source):
            before = row_counts(db) if name == "qc record" else {}
            try:
                run = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"{name}: no result within {TIMEOUT} s (hang)")
                continue
            stats["runs"] += 1
            key = f"{name}: {run.returncode}"
            stats["exit"][key] = stats["exit"].get(key, 0) + 1
            if run.returncode not in EXIT_CODES:
                problems.append(f"{name}: exit status {run.returncode} (a crash or an undocumented status)")
            for line in run.stderr.decode("utf-8", "replace").splitlines():
                if "refused" in line and mutant not in line:
                    problems.append(f"{name}: a refusal that names no file: {line}")
                if line.startswith("Error:"):
                    problems.append(f"{name}: an error qct did not explain: {line}")
            if NUMBER.search(run.stdout):
                problems.append(f"{name}: NaN or Infinity in the output")
            if "--json" in cmd and run.returncode in (0, 3, 4):
                try:
                    json.loads(run.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                except ValueError as e:
                    problems.append(f"{name}: --json output is not JSON ({e})")
            if name == "qc record":
                check = integrity(db)
                if check != "ok":
                    problems.append(f"qc record: database integrity_check: {check}")
                after = row_counts(db)
                lost = [t for t, n in before.items() if after.get(t, 0) < n]
                if lost:
                    problems.append(f"qc record: rows lost from {', '.join(lost)}")
        stats["mutants"] += 1
        if problems:
            kept = os.path.join(out, "failures", f"w{index}-m{m:05d}")
            shutil.copytree(mutant, kept, dirs_exist_ok=True)
            with open(kept + ".json", "w") as f:
                json.dump({"source": source, "operators": ops, "problems": problems}, f, indent=1)
            stats["failures"].append({"mutant": kept, "source": os.path.basename(source), "operators": ops,
                                      "problems": problems})
        shutil.rmtree(mutant, ignore_errors=True)
    return stats


def main():
    p = argparse.ArgumentParser()
    p.add_argument("qct")
    p.add_argument("phantoms")
    p.add_argument("fixtures")
    p.add_argument("out")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = p.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    qct, phantoms = os.path.abspath(a.qct), os.path.abspath(a.phantoms)
    sources = prepare_sources(qct, phantoms, os.path.abspath(a.fixtures), out, a.seed)
    jobs = max(1, min(a.jobs, a.count))
    shares = [a.count // jobs + (1 if k < a.count % jobs else 0) for k in range(jobs)]
    start = time.time()
    with multiprocessing.Pool(jobs) as pool:
        parts = pool.map(worker, [(qct, phantoms, out, sources, k, a.seed, n) for k, n in enumerate(shares)])
    total = {"mutants": 0, "runs": 0, "operators": {}, "exit": {}, "failures": [], "seconds": 0.0}
    for s in parts:
        total["mutants"] += s["mutants"]
        total["runs"] += s["runs"]
        total["failures"] += s["failures"]
        for field in ("operators", "exit"):
            for k, v in s[field].items():
                total[field][k] = total[field].get(k, 0) + v
    total["seconds"] = round(time.time() - start, 1)
    total["databases"] = {os.path.basename(d): integrity(os.path.join(out, d)) for d in sorted(os.listdir(out)) if d.endswith(".sqlite")}
    print(json.dumps(total, indent=1, sort_keys=True))
    sys.exit(1 if total["failures"] else 0)


if __name__ == "__main__":
    main()
