"""Writes copies of one CT file whose headers claim more than the file holds, and reports what
`qct inspect` does with each: exit status, the refusal line and its peak memory.

    python Scripts/hostile_headers.py QCT SOURCE.dcm OUTDIR

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
os.makedirs(out, exist_ok=True)
variants = {
    "matrix-60000": {"Rows": 60000, "Columns": 60000},
    "matrix-8000": {"Rows": 8000, "Columns": 8000},
    "frames-200000": {"NumberOfFrames": 200000},
    "frames-50000": {"NumberOfFrames": 50000},
}
for name, changes in variants.items():
    ds = pydicom.dcmread(source)
    for key, value in changes.items():
        setattr(ds, key, value)
    path = os.path.join(out, name + ".dcm")
    ds.save_as(path, enforce_file_format=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([qct, "inspect", path], capture_output=True, text=True, timeout=120)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"name": name, "file": path, "status": p.returncode, "stderr": p.stderr.strip(),
                      "maxrss_kb": peak, "earlier_kb": before}))
