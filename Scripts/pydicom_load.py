#!/usr/bin/env python3
"""Loads a folder of CT slices to an HU volume with pydicom + numpy: the peer
for qct's load benchmark. Prints the best wall time of N runs, in seconds,
measured inside Python after imports (so interpreter start-up is not counted).

Usage: pydicom_load.py FOLDER [RUNS]
"""
import sys
import time
from pathlib import Path

import numpy as np
import pydicom


def load(folder):
    slices = [pydicom.dcmread(p) for p in sorted(Path(folder).iterdir()) if p.suffix == ".dcm"]
    slices.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    volume = np.empty((len(slices), slices[0].Rows, slices[0].Columns), dtype=np.float64)
    for k, d in enumerate(slices):
        volume[k] = d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)
    return volume


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        v = load(folder)
        best = min(best, time.perf_counter() - t)
    print(f"{best:.6f} {v.shape[0]} {float(v.mean()):.6f}")


if __name__ == "__main__":
    main()
