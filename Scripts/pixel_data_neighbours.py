"""Writes CT_small.dcm again with neighbours around its Pixel Data: an Icon Image Sequence whose
item holds a Pixel Data of its own (before the image's), and Data Set Trailing Padding after it;
once in explicit and once in implicit VR little endian, and once with neither preamble nor meta header. Prints, as
JSON, pydicom's HU of each written file (the reference the reader must match).

Usage: pixel_data_neighbours.py CT_small.dcm OUT_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian


def main() -> None:
    source, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    result = {}
    for name, syntax, meta in [("explicit.dcm", ExplicitVRLittleEndian, True),
                               ("implicit.dcm", ImplicitVRLittleEndian, True),
                               ("bare.dcm", ExplicitVRLittleEndian, False)]:
        ds = pydicom.dcmread(source)
        icon = Dataset()
        icon.SamplesPerPixel = 1
        icon.PhotometricInterpretation = "MONOCHROME2"
        icon.Rows = 8
        icon.Columns = 8
        icon.BitsAllocated = 8
        icon.BitsStored = 8
        icon.HighBit = 7
        icon.PixelRepresentation = 0
        icon.PixelData = bytes(range(64))
        ds.IconImageSequence = [icon]
        ds.add_new(0xFFFCFFFC, "OB", b"\x7f" * 256)
        ds.file_meta.TransferSyntaxUID = syntax
        path = out / name
        if meta:
            ds.save_as(path, enforce_file_format=True)
        else:
            # No preamble, no meta header: the data set alone (read through DCMTK's own access).
            ds.preamble = None
            ds.file_meta = pydicom.dataset.FileMetaDataset()
            ds.save_as(path, implicit_vr=False, little_endian=True)
        back = pydicom.dcmread(path, force=True)
        if not meta:
            back.file_meta = pydicom.dataset.FileMetaDataset()
            back.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        hu = back.pixel_array.astype(np.float64) * float(back.RescaleSlope) + float(back.RescaleIntercept)
        result[name] = hu.ravel().tolist()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
