#!/usr/bin/env python3
"""Golden vector for internal calibration, computed with xraydb's own tables (not qct's).

Tissue CT numbers are made at a known effective energy with a scanner gain and offset:
HU = gain * 1000 (mu - mu_water) / (mu_water - mu_air) + offset, mu from ICRU-44 compositions.
A K2HPO4 ROI in the liquid convention (rho_K in 999.6 - 0.2174 rho_K mg/cm3 of water) gets its HU
the same way. The grid search (20-150 keV, 1 keV) must find the energy (R2 = 1 there) and turn the
ROI's HU back into rho_K.

The energy lever: the tissues' HU as the fit at the found energy predicts them, refitted at that
energy +/- 10 %, leave an RMS residual (the smaller of the two sides); printed with and without
adipose.

Usage: python3 Scripts/internal_calibration_golden.py
"""
import numpy as np
import xraydb

TISSUES = {
    "air": (0.001205, {"C": 0.000124, "N": 0.755268, "O": 0.231781, "Ar": 0.012827}),
    "adipose": (0.95, {"H": 0.114, "C": 0.598, "N": 0.007, "O": 0.278, "Na": 0.001, "S": 0.001, "Cl": 0.001}),
    "blood": (1.06, {"H": 0.102, "C": 0.110, "N": 0.033, "O": 0.745, "Na": 0.001, "P": 0.001, "S": 0.002, "Cl": 0.003, "K": 0.002, "Fe": 0.001}),
    "muscle": (1.05, {"H": 0.102, "C": 0.143, "N": 0.034, "O": 0.710, "Na": 0.001, "P": 0.002, "S": 0.003, "Cl": 0.001, "K": 0.004}),
}
WATER = {"H": 2 * xraydb.atomic_mass("H"), "O": xraydb.atomic_mass("O")}
K2HPO4 = {"K": 2 * xraydb.atomic_mass("K"), "H": xraydb.atomic_mass("H"), "P": xraydb.atomic_mass("P"), "O": 4 * xraydb.atomic_mass("O")}


def mass_att(fractions, e_kev):
    total = sum(fractions.values())
    return sum(w / total * float(xraydb.mu_elam(el, e_kev * 1000.0)) for el, w in fractions.items())


def main():
    energy, gain, offset = 68.0, 1.02, -3.0
    mw = mass_att(WATER, energy)
    mu_air = TISSUES["air"][0] * mass_att(TISSUES["air"][1], energy)
    def hu(mu):
        return gain * 1000 * (mu - mw) / (mw - mu_air) + offset
    hus = {t: hu(d * mass_att(f, energy)) for t, (d, f) in TISSUES.items()}
    for t, v in hus.items():
        print(f"tissue {t}: {v!r} HU")
    best = None
    for e in np.arange(20.0, 150.0 + 1e-9, 1.0):
        mus = np.array([d * mass_att(f, e) for d, f in TISSUES.values()])
        ys = np.array(list(hus.values()))
        r = np.corrcoef(mus, ys)[0, 1]
        if best is None or r * r > best[1]:
            best = (e, r * r)
    print(f"effective energy {best[0]} keV, R2 {best[1]!r}")
    rho_k = 150.0
    mk = mass_att(K2HPO4, energy)
    mu_bone = (rho_k * mk + (999.6 - 0.2174 * rho_k) * mw) / 1000
    print(f"K2HPO4 {rho_k} mg/cm3 (liquid convention): {hu(mu_bone)!r} HU")
    # The same ROI as hydroxyapatite displacing its own volume of water (HA 3.16 g/cm3, water 1 g/cm3).
    ha = {"Ca": 10 * xraydb.atomic_mass("Ca"), "P": 6 * xraydb.atomic_mass("P"), "O": 26 * xraydb.atomic_mass("O"), "H": 2 * xraydb.atomic_mass("H")}
    mha = mass_att(ha, energy)
    rho_ha = (1000 * mu_bone - 1000 * mw) / (mha - mw / 3.16)
    print(f"the same ROI as HA: {rho_ha!r} mg/cm3")
    for label, names in (("with adipose", list(TISSUES)), ("without adipose", [t for t in TISSUES if t != "adipose"])):
        mus = np.array([TISSUES[t][0] * mass_att(TISSUES[t][1], best[0]) for t in names])
        b, a = np.polyfit(mus, np.array([hus[t] for t in names]), 1)
        predicted = a + b * mus
        rms = []
        for e in (best[0] * 0.9, best[0] * 1.1):
            other = np.array([TISSUES[t][0] * mass_att(TISSUES[t][1], e) for t in names])
            b2, a2 = np.polyfit(other, predicted, 1)
            rms.append(float(np.sqrt(np.mean((predicted - (a2 + b2 * other)) ** 2))))
        print(f"energy lever {label}: {min(rms)!r} HU (at -10 %: {rms[0]:.4f}, +10 %: {rms[1]:.4f})")


if __name__ == "__main__":
    main()
