#!/usr/bin/env python3
"""Independent check of a qct volume export against the DICOM series.

Reads the series with pydicom (sorting along the slice normal, affine from
Image Position/Orientation and Pixel Spacing, HU from the rescale), reads
the export with nibabel (.nii, .nii.gz) or pynrrd (.nrrd), and prints one
JSON object: max |affine difference| in mm, max |HU difference|, shapes.

Usage: check_export.py SERIES_DIR EXPORT_FILE
"""
import json
import sys
from pathlib import Path

import numpy as np
import pydicom


def series(folder):
    slices = [pydicom.dcmread(p) for p in sorted(Path(folder).iterdir()) if p.suffix == ".dcm"]
    iop = np.array([float(v) for v in slices[0].ImageOrientationPatient])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    slices.sort(key=lambda d: float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])))
    first = np.array([float(v) for v in slices[0].ImagePositionPatient])
    last = np.array([float(v) for v in slices[-1].ImagePositionPatient])
    step = (last - first) / (len(slices) - 1) if len(slices) > 1 else normal
    dr, dc = (float(v) for v in slices[0].PixelSpacing)
    lps = np.eye(4)
    lps[:3, 0] = row * dc
    lps[:3, 1] = col * dr
    lps[:3, 2] = step
    lps[:3, 3] = first
    hu = np.stack([d.pixel_array.astype(np.float64) * float(d.get("RescaleSlope", 1))
                   + float(d.get("RescaleIntercept", 0)) for d in slices])  # (k, j, i)
    return lps, hu


def main():
    folder, export = sys.argv[1], sys.argv[2]
    lps, hu = series(folder)
    if export.endswith(".nrrd"):
        import nrrd
        data, header = nrrd.read(export)  # (i, j, k)
        affine = np.eye(4)
        affine[:3, :3] = np.array(header["space directions"]).T
        affine[:3, 3] = header["space origin"]
        expected = lps
        space = header["space"]
    else:
        import nibabel
        img = nibabel.load(export)
        data = np.asarray(img.dataobj)
        affine = img.affine
        ras = np.diag([-1.0, -1.0, 1.0, 1.0])
        expected = ras @ lps
        space = "RAS"
        qform_diff = float(np.abs(img.get_qform() - expected).max()) if img.get_qform(coded=True)[1] else None
    volume = np.transpose(data, (2, 1, 0)).astype(np.float64)
    out = {
        "space": space,
        "dtype": str(data.dtype),
        "shape": list(data.shape),
        "expected_shape": [hu.shape[2], hu.shape[1], hu.shape[0]],
        "affine_max_diff_mm": float(np.abs(affine - expected).max()),
        "hu_max_diff": float(np.abs(volume - hu).max()) if volume.shape == hu.shape else None,
    }
    if not export.endswith(".nrrd"):
        out["qform_max_diff_mm"] = qform_diff
    print(json.dumps(out))


if __name__ == "__main__":
    main()
