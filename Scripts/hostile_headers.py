"""Writes copies of one CT file whose headers claim more than the file holds, and reports what
`qct inspect` does with each: exit status, the refusal line and its peak memory.

    python Scripts/hostile_headers.py QCT SOURCE.dcm OUTDIR [COMPRESSED.dcm]

SOURCE is uncompressed; COMPRESSED (RLE, JPEG, JPEG 2000, ...) adds two variants
that claim more pixels than its compressed fragments can hold.

Prints one JSON object per variant: name, file, status, stderr, maxrss_kb (the qct process's
peak resident memory, from getrusage of this script's children).
"""
import json
import os
import resource
import subprocess
import sys

import pydicom

qct, source, out = sys.argv[1], sys.argv[2], sys.argv[3]
compressed = sys.argv[4] if len(sys.argv) > 4 else None
os.makedirs(out, exist_ok=True)
variants = {
    "matrix-60000": (source, {"Rows": 60000, "Columns": 60000}),
    "matrix-8000": (source, {"Rows": 8000, "Columns": 8000}),
    "frames-200000": (source, {"NumberOfFrames": 200000}),
    "frames-50000": (source, {"NumberOfFrames": 50000}),
}
if compressed:
    variants["compressed-8000"] = (compressed, {"Rows": 8000, "Columns": 8000})
    variants["compressed-frames-50000"] = (compressed, {"NumberOfFrames": 50000})
for name, (origin, changes) in variants.items():
    ds = pydicom.dcmread(origin)
    for key, value in changes.items():
        setattr(ds, key, value)
    path = os.path.join(out, name + ".dcm")
    ds.save_as(path, enforce_file_format=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([qct, "inspect", path], capture_output=True, text=True, timeout=120)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"name": name, "file": path, "status": p.returncode, "stderr": p.stderr.strip(),
                      "maxrss_kb": peak, "earlier_kb": before}))
