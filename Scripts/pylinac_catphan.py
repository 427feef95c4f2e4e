#!/usr/bin/env python3
"""The peer for qct's calibrate benchmark: pylinac's CatPhan 504 analysis of
a scan folder. Prints the best wall time of N runs in seconds (after imports)
and the seven CTP404 medians of the last run.

Usage: pylinac_catphan.py FOLDER [RUNS]
"""
import sys
import time

from pylinac import CatPhan504


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = float("inf")
    phantom = None
    for _ in range(runs):
        t = time.perf_counter()
        phantom = CatPhan504(folder)
        phantom.analyze()
        best = min(best, time.perf_counter() - t)
    rois = phantom.ctp404.rois
    values = " ".join(f"{name}={roi.pixel_value:.0f}" for name, roi in rois.items())
    print(f"{best:.6f} {values}")


if __name__ == "__main__":
    main()
