#!/usr/bin/env python3
"""Seeds the corpora of `make fuzz`, one folder per harness, and writes the JSON dictionary.

  shim        every fixture DICOM file under 200 KB;
  multiframe  small enhanced CT files (pydicom-data's eCT_Supplemental.dcm cut down to 32 x 32
              and 6 frames in a scrambled order, uncompressed and RLE) and the fixtures' other
              multi-frame files under 256 KB;
  series      simulated series (pad and ESP on pad, 32 x 32, 4 slices) joined with the harness's
              separator, as they are, with a slice duplicated, with a slice from another series
              and with a slice missing; and CT_small.dcm three times;
  json        the phantom folder's documents, a saved calibration and a manual ROI file.

The dictionary json.dict holds every key and short string value of those documents.

Usage: fuzz_seeds.py QCT PHANTOMS FIXTURES OUT
"""
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

SEPARATOR = b"QCT-NEXT-FILE"


def put(folder, data, suffix):
    os.makedirs(folder, exist_ok=True)
    name = hashlib.md5(data).hexdigest()[:16] + suffix
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fixture_files(fixtures, limit):
    for root, _, names in os.walk(os.path.join(fixtures, "dicom")):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n.endswith(".dcm") and os.path.getsize(p) < limit:
                yield p


def small_enhanced(source, out, rle):
    ds = pydicom.dcmread(source)
    frames = ds.pixel_array[:, ::16, ::16][:, :32, :32]
    count = 6
    data = np.stack([frames[i % frames.shape[0]] + i for i in range(count)]).astype(frames.dtype)
    groups = []
    for i in range(count):
        item = copy.deepcopy(ds.PerFrameFunctionalGroupsSequence[i % frames.shape[0]])
        item.PlanePositionSequence[0].ImagePositionPatient = [0.0, 0.0, 10.0 - 2.5 * ((5 * i) % count)]
        groups.append(item)
    ds.PerFrameFunctionalGroupsSequence = groups
    ds.NumberOfFrames = count
    ds.Rows, ds.Columns = data.shape[1], data.shape[2]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = data.tobytes()
    if rle:
        ds.compress(RLELossless, data)
    ds.save_as(out, enforce_file_format=True)


def words(value, found):
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(k)
            words(v, found)
    elif isinstance(value, list):
        for v in value:
            words(v, found)
    elif isinstance(value, str) and len(value) <= 40:
        found.add(value)


def main():
    qct, phantoms, fixtures, out = sys.argv[1:5]
    for p in fixture_files(fixtures, 200_000):
        put(os.path.join(out, "shim"), open(p, "rb").read(), ".dcm")

    tmp = tempfile.mkdtemp()
    try:
        for rle in (False, True):
            path = os.path.join(tmp, f"enhanced{int(rle)}.dcm")
            small_enhanced(os.path.join(fixtures, "dicom", "pydicom-data", "eCT_Supplemental.dcm"), path, rle)
            put(os.path.join(out, "multiframe"), open(path, "rb").read(), ".dcm")
        for p in fixture_files(fixtures, 256_000):
            try:
                frames = int(pydicom.dcmread(p, stop_before_pixels=True, force=True).get("NumberOfFrames", 1) or 1)
            except Exception:  # the fixtures' broken files
                continue
            if frames > 1:
                put(os.path.join(out, "multiframe"), open(p, "rb").read(), ".dcm")

        series = {}
        for scene, seed in (("pad", 1), ("esp-on-pad", 2)):
            folder = os.path.join(tmp, scene)
            subprocess.run([qct, "simulate", scene, "--out", folder, "--matrix", "32", "--slices", "4",
                            "--pixel-spacing", "16", "--seed", str(seed), "--phantoms", phantoms],
                           check=True, stdout=subprocess.DEVNULL)
            series[scene] = [open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder)) if n.endswith(".dcm")]
        pad, esp = series["pad"], series["esp-on-pad"]
        for files in (pad, esp, pad + [pad[1]], pad[:2] + [esp[2]] + pad[3:], pad[:1] + pad[2:]):
            put(os.path.join(out, "series"), SEPARATOR.join(files), ".bin")
        ct = open(os.path.join(fixtures, "dicom", "pydicom", "CT_small.dcm"), "rb").read()
        put(os.path.join(out, "series"), SEPARATOR.join([ct] * 3), ".bin")

        documents = [os.path.join(phantoms, n) for n in sorted(os.listdir(phantoms)) if n.endswith(".json")]
        scan = os.path.join(tmp, "cal")
        subprocess.run([qct, "simulate", "pad", "--out", scan, "--matrix", "256", "--slices", "3", "--phantoms", phantoms],
                       check=True, stdout=subprocess.DEVNULL)
        saved = os.path.join(tmp, "saved.json")
        subprocess.run([qct, "calibrate", scan, "--phantom", "mindways-model3-ct", "--phantoms", phantoms, "--save", saved],
                       stdout=subprocess.DEVNULL)  # a check may fail on so coarse a scan; the fit is saved
        if not os.path.exists(saved):
            sys.exit("fuzz_seeds.py: qct calibrate --save wrote no calibration")
        rois = os.path.join(tmp, "rois.json")
        with open(rois, "w") as f:
            json.dump({"rods": [{"name": "A", "centerMM": [-50.0, -120.0], "radiusMM": 6.0}]}, f)
        found = {SEPARATOR.decode()}
        for p in documents + [saved, rois]:
            data = open(p, "rb").read()
            put(os.path.join(out, "json"), data, ".json")
            words(json.loads(data), found)
        with open(os.path.join(out, "json.dict"), "w") as f:
            for w in sorted(found):
                # libFuzzer's format: the token in quotes, with \\ and \" escaped.
                f.write('"' + json.dumps(w).replace("\\", "\\\\").replace('"', '\\"') + '"\n')
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
