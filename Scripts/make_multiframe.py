#!/usr/bin/env python3
"""Writes a 40-frame enhanced CT with pydicom, from pydicom-data's
eCT_Supplemental.dcm: frames stored in a scrambled order of positions
(2.5 mm apart along z, frame i at slot (17·i) mod 40), each frame's
pixels offset by its index, per-frame rescale intercepts alternating, so a
reader must use the per-frame functional groups to get order and HU right.

Usage: make_multiframe.py SOURCE.dcm OUT.dcm
"""
import copy
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

FRAMES = 40


def main():
    src, out = sys.argv[1], sys.argv[2]
    ds = pydicom.dcmread(src)
    base = ds.pixel_array.astype(np.int32)  # (2, rows, cols)
    frames = np.empty((FRAMES,) + base.shape[1:], dtype=ds.pixel_array.dtype)
    groups = []
    for i in range(FRAMES):
        frames[i] = np.clip(base[i % 2] + i, np.iinfo(frames.dtype).min, np.iinfo(frames.dtype).max)
        item = copy.deepcopy(ds.PerFrameFunctionalGroupsSequence[i % 2])
        pos = item.PlanePositionSequence[0]
        pos.ImagePositionPatient = [99.5, -301.5, 100.0 - 2.5 * ((17 * i) % FRAMES)]
        pvt = Dataset()
        pvt.RescaleSlope = 1
        pvt.RescaleIntercept = -1024 if i % 2 == 0 else -1000
        pvt.RescaleType = "HU"
        item.PixelValueTransformationSequence = [pvt]
        groups.append(item)
    ds.PerFrameFunctionalGroupsSequence = groups
    ds.NumberOfFrames = FRAMES
    ds.PixelData = frames.tobytes()
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.9.7777.40"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.9.7777.40.1"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(out, enforce_file_format=True)


if __name__ == "__main__":
    main()
