"""Writes a copy of an RLE DICOM file whose first frame's second segment offset points far
outside the frame (0xFF000072), the shape of a crash libFuzzer found in DCMTK's RLE decoder.

    python Scripts/rle_bad_offset.py SOURCE.dcm OUT.dcm
"""
import struct
import sys

import pydicom
from pydicom.encaps import encapsulate, generate_fragments

ds = pydicom.dcmread(sys.argv[1])
fragments = list(generate_fragments(ds.PixelData))
frame = bytearray(fragments[1])
segments = struct.unpack("<I", frame[:4])[0]
assert segments >= 2, "needs a frame with two segments or more"
frame[8:12] = struct.pack("<I", 0xFF000072)
ds.PixelData = encapsulate([bytes(frame)] + fragments[2:], has_bot=False)
ds.save_as(sys.argv[2])
