"""Writes a copy of a JPEG 2000 DICOM file whose codestream declares an image of 2883584 × its
height (SIZ Xsiz), the shape of a libFuzzer finding: OpenJPEG allocated what the codestream
declared, and qct reached 11.7 GB of resident memory for a 3 KB file.

    python Scripts/j2k_huge_siz.py SOURCE.dcm OUT.dcm
"""
import struct
import sys

import pydicom
from pydicom.encaps import encapsulate, generate_fragments

ds = pydicom.dcmread(sys.argv[1])
fragments = list(generate_fragments(ds.PixelData))
frame = bytearray(b"".join(fragments[1:]) if len(fragments) > 1 else fragments[0])
soc = frame.find(b"\xff\x4f\xff\x51")
assert soc >= 0, "needs a raw JPEG 2000 codestream (SOC then SIZ)"
xosiz = struct.unpack(">I", frame[soc + 16:soc + 20])[0]
frame[soc + 8:soc + 12] = struct.pack(">I", 2883584 + xosiz)
ds.PixelData = encapsulate([bytes(frame)], has_bot=False)
ds.save_as(sys.argv[2])
