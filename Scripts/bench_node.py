#!/usr/bin/env python3
"""Benchmark of the QC node's DICOM reception, side by side with DCMTK's storescp.

SENDERS concurrent storescu processes each send SERIES simulated pad series (256 x 256, SLICES
slices) to `qct serve`, then the same files to `storescp` (DCMTK's receiver, writing every file
to disk, no analysis). Reports for each receiver the wall time of the transfer, files/s and
MB/s, and the ratio; for qct, that every series was recorded exactly once (the input table and
the result table) and the time until the last one was.

Usage: bench_node.py QCT PHANTOMS OUT [--senders 4] [--series 10] [--slices 8]
"""
import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_all(folders_per_sender, port, aec):
    start = time.time()
    procs = [subprocess.Popen(["storescu", "-aet", f"SENDER{k}", "-aec", aec, "+sd", "127.0.0.1", str(port)] + folders,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for k, folders in enumerate(folders_per_sender)]
    errors = [p.communicate()[1].decode() for p in procs]
    failed = [e for p, e in zip(procs, errors) if p.returncode != 0]
    return time.time() - start, failed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("qct")
    p.add_argument("phantoms")
    p.add_argument("out")
    p.add_argument("--senders", type=int, default=4)
    p.add_argument("--series", type=int, default=10)
    p.add_argument("--slices", type=int, default=8)
    a = p.parse_args()
    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    folders = []
    for k in range(a.senders):
        mine = []
        for s in range(a.series):
            f = os.path.join(out, "scans", f"s{k}-{s}")
            subprocess.run([a.qct, "simulate", "pad", "--out", f, "--matrix", "256", "--pixel-spacing", "1.6", "--slices", str(a.slices),
                            "--thickness", "3", "--spacing", "3", "--seed", str(100 * k + s + 1), "--scanner", f"QCT{k % 3 + 1}",
                            "--acquired", f"202601{s + 1:02d}08{k:02d}00", "--phantoms", a.phantoms],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.remove(os.path.join(f, "truth.json"))
            mine.append(f)
        folders.append(mine)
    files = sum(len(os.listdir(f)) for fs in folders for f in fs)
    megabytes = sum(os.path.getsize(os.path.join(f, n)) for fs in folders for f in fs for n in os.listdir(f)) / 1e6
    total = a.senders * a.series

    # qct serve
    db = os.path.join(out, "qc.sqlite")
    port = free_port()
    node = subprocess.Popen([a.qct, "serve", "--db", db, "--inbox", os.path.join(out, "inbox"), "--dicom-port", str(port),
                             "--no-http", "--stable-after", "2", "--phantoms", a.phantoms],
                            stdout=subprocess.PIPE, stderr=open(os.path.join(out, "serve.log"), "w"))
    node.stdout.readline()
    qct_seconds, qct_failed = send_all(folders, port, "QCT")
    deadline, recorded = time.time() + 600, []
    while time.time() < deadline:
        try:
            con = sqlite3.connect(db)
            recorded = con.execute("SELECT seriesInstanceUID, outcome FROM input").fetchall()
            results = con.execute("SELECT count(*), count(DISTINCT seriesInstanceUID) FROM result").fetchone()
            con.close()
        except sqlite3.Error:
            recorded, results = [], (0, 0)
        if len(recorded) >= total:
            break
        time.sleep(0.5)
    analysed_after = time.time() - (deadline - 600)
    node.terminate()
    node.wait()

    # DCMTK's storescp, the same files
    sink = os.path.join(out, "storescp")
    os.makedirs(sink)
    port = free_port()
    peer = subprocess.Popen(["storescp", "-od", sink, "-aet", "STORESCP", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    peer_seconds, peer_failed = send_all(folders, port, "STORESCP")
    peer.terminate()
    peer.wait()

    outcomes = {}
    for _, o in recorded:
        outcomes[o] = outcomes.get(o, 0) + 1
    report = {
        "senders": a.senders, "series": total, "files": files, "megabytes": round(megabytes, 1),
        "qct": {"seconds": round(qct_seconds, 2), "filesPerSecond": round(files / qct_seconds, 1),
                "MBPerSecond": round(megabytes / qct_seconds, 1), "senderFailures": len(qct_failed),
                "inputs": len(recorded), "distinctSeries": len({u for u, _ in recorded}), "outcomes": outcomes,
                "results": results[0], "distinctResults": results[1], "allRecordedAfterSeconds": round(analysed_after, 1)},
        "storescp": {"seconds": round(peer_seconds, 2), "filesPerSecond": round(files / peer_seconds, 1),
                     "MBPerSecond": round(megabytes / peer_seconds, 1), "senderFailures": len(peer_failed),
                     "filesWritten": sum(len(fs) for _, _, fs in os.walk(sink))},
        "receiveTimeRatio": round(qct_seconds / peer_seconds, 2),
    }
    print(json.dumps(report, indent=1))
    once = (report["qct"]["distinctSeries"] == total and report["qct"]["inputs"] == total and results[1] == total and results[0] == total)
    sys.exit(0 if once and not qct_failed else 1)


if __name__ == "__main__":
    main()
