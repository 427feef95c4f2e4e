#!/usr/bin/env python3
"""Independent check of a simulated scan's truth.json.

Recomputes every insert's CT number from the phantom files (materials by
formula or mass fractions and density; compositions by partial density or
volume displacement; certified values) with xraydb's own coefficients at the
scan's effective energy, HU = gain · 1000 (μ − μ_water) / (μ_water − μ_air) +
offset, and prints one JSON object with the largest difference from
truth.json's trueHU, and the simulated DICOM series read with pydicom.

Usage: check_truth.py PHANTOM_DIR SCAN_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import pydicom
import xraydb


def material_mu(entry, energy_ev):
    """Linear attenuation (1/cm) of a catalog material at its density."""
    if "formula" in entry:
        return xraydb.material_mu(entry["formula"], energy_ev, density=entry["density"])
    fractions = entry["massFractions"]
    total = sum(fractions.values())
    mass_mu = sum(w / total * xraydb.mu_elam(el, energy_ev, kind="total") for el, w in fractions.items())
    return mass_mu * entry["density"]


def main():
    phantom_dir, scan_dir = Path(sys.argv[1]), Path(sys.argv[2])
    truth = json.loads((scan_dir / "truth.json").read_text())
    docs = [json.loads(p.read_text()) for p in phantom_dir.glob("*.json")]
    materials = {m["name"]: m for d in docs if d.get("schema") == "qct-materials/1" for m in d["materials"]}
    phantoms = {d["id"]: d for d in docs if d.get("schema") == "qct-phantom/1"}
    certificates = {(d["phantom"], d["serial"]): d for d in docs if d.get("schema") == "qct-certificate/1"}
    energy = truth["scanner"]["effectiveEnergyKeV"] * 1000.0
    gain, offset = truth["scanner"]["huGain"], truth["scanner"]["huOffset"]
    mu_w = material_mu(materials["water"], energy)
    mu_a = material_mu(materials["air"], energy)

    def mu_of(composition, insert, cert):
        if "material" in composition:
            return material_mu(materials[composition["material"]], energy)
        mu, displaced = 0.0, 0.0
        for part in composition["parts"]:
            m = materials[part["material"]]
            amount = part["mgPerCm3"]
            if isinstance(amount, str):
                amount = cert["values"][insert][amount.split(":", 1)[1]]
            mu += amount / 1000.0 / m["density"] * material_mu(m, energy)
            displaced += amount / 1000.0 / m["density"]
        if "matrix" in composition:
            mu += (1 - displaced) * material_mu(materials[composition["matrix"]], energy)
        return mu

    worst = 0.0
    serials = {p["id"]: p.get("certificateSerial") for p in truth["phantoms"]}
    for insert in truth["inserts"]:
        phantom = phantoms[insert["phantom"]]
        cert = certificates.get((insert["phantom"], serials.get(insert["phantom"])))
        spec = next(i for i in phantom["inserts"] if i["name"] == insert["name"])
        hu = gain * 1000.0 * (mu_of(spec["composition"], insert["name"], cert) - mu_w) / (mu_w - mu_a) + offset
        worst = max(worst, abs(hu - insert["trueHU"]))
    files = sorted(scan_dir.glob("*.dcm"))
    hu_ranges = []
    for f in files:
        ds = pydicom.dcmread(f)
        arr = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        hu_ranges.append((float(arr.min()), float(arr.max())))
    print(json.dumps({
        "inserts": len(truth["inserts"]),
        "max_true_hu_diff": worst,
        "files": len(files),
        "pydicom_min_hu": min(r[0] for r in hu_ranges) if hu_ranges else None,
        "pydicom_max_hu": max(r[1] for r in hu_ranges) if hu_ranges else None,
        "rows": int(ds.Rows) if files else None,
    }))


if __name__ == "__main__":
    main()
