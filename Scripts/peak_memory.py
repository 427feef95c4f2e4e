"""Runs a command and prints JSON: its exit status, standard error and peak resident memory
(getrusage of this script's children, KB).

    python Scripts/peak_memory.py COMMAND [ARG...]
"""
import json
import resource
import subprocess
import sys

p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
print(json.dumps({"status": p.returncode, "stderr": p.stderr.strip(),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
