#!/usr/bin/env python3
"""A DICOM file whose data set is one sequence nested N levels deep (items and
sequences of undefined length), with the file meta information of SOURCE.

Usage: deep_sequences.py SOURCE.dcm N OUT.dcm

Used to check the reader against nesting far deeper than any real file holds
(Docs/fuzzing.md, finding 3).
"""
import struct
import sys
from io import BytesIO

import pydicom


def main():
    source, depth, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    meta = BytesIO()
    pydicom.filewriter.write_file_meta_info(meta, pydicom.dcmread(source).file_meta, enforce_standard=True)
    # Referenced Image Sequence (0008,1140), explicit VR little endian, undefined lengths.
    open_sequence = struct.pack("<HH", 0x0008, 0x1140) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF)
    open_item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close_item = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    close_sequence = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    body = (open_sequence + open_item) * depth + (close_item + close_sequence) * depth
    with open(out, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta.getvalue() + body)


if __name__ == "__main__":
    main()
