#!/usr/bin/env python3
"""Reference HU arrays for the DICOM test fixtures, computed with pydicom.

For every file under DICOM_DIR this writes one manifest entry to
OUT_DIR/manifest.json and, for single-sample images pydicom can decode, the
HU of every frame as little-endian float64 (OUT_DIR/<id>.f64). HU is
stored × Rescale Slope + Rescale Intercept, per frame for enhanced images
(Pixel Value Transformation Sequence, per-frame then shared), identity when
absent. qct's tests compare their own decoding against these arrays.

Usage: reference_hu.py DICOM_DIR OUT_DIR
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203",
}


def frame_values(ds, index, macro, attr):
    """Values of `attr` for frame `index`: per-frame functional group, then
    shared group, then the top-level data set; None when absent."""
    for groups in ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence"):
        seq = ds.get(groups)
        if not seq:
            continue
        item = seq[index] if groups.startswith("PerFrame") and index < len(seq) else seq[0]
        m = item.get(macro)
        if m and attr in m[0] and m[0][attr].value is not None:
            value = m[0][attr].value
            return [float(v) for v in value] if m[0][attr].VM > 1 else [float(value)]
    if attr in ds and ds[attr].value is not None and ds[attr].value != "":
        value = ds[attr].value
        return [float(v) for v in value] if ds[attr].VM > 1 else [float(value)]
    return None


def frame_rescale(ds, index):
    """(slope, intercept) for frame `index`, as pydicom parses the DS values."""
    slope = frame_values(ds, index, "PixelValueTransformationSequence", "RescaleSlope")
    intercept = frame_values(ds, index, "PixelValueTransformationSequence", "RescaleIntercept")
    return (slope[0] if slope else 1.0), (intercept[0] if intercept else 0.0)


def frame_geometry(ds, index):
    """(position, orientation, pixel spacing) of frame `index`, or Nones."""
    return (frame_values(ds, index, "PlanePositionSequence", "ImagePositionPatient"),
            frame_values(ds, index, "PlaneOrientationSequence", "ImageOrientationPatient"),
            frame_values(ds, index, "PixelMeasuresSequence", "PixelSpacing"))


def padding(ds):
    if "PixelPaddingValue" not in ds:
        return None
    lo = int(ds.PixelPaddingValue)
    hi = int(ds.PixelPaddingRangeLimit) if "PixelPaddingRangeLimit" in ds else lo
    return [min(lo, hi), max(lo, hi)]


def describe(path, out_dir, ident):
    entry = {"id": ident, "path": str(path)}
    try:
        return _describe(path, out_dir, entry)
    except Exception as exc:  # noqa: BLE001 - a malformed header is a reference outcome too
        entry.update(kind="malformed", pydicom_error=f"{type(exc).__name__}: {exc}")
        return entry


def _describe(path, out_dir, entry):
    ident = entry["id"]
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as exc:  # noqa: BLE001 - record any failure as the reference outcome
        entry.update(kind="unreadable", pydicom_error=f"{type(exc).__name__}: {exc}")
        return entry
    tsuid = str(ds.file_meta.get("TransferSyntaxUID", "")) if hasattr(ds, "file_meta") else ""
    entry.update(
        transfer_syntax=tsuid,
        modality=str(ds.get("Modality", "")),
        sop_class=str(ds.get("SOPClassUID", "")),
        has_meta=bool(getattr(ds, "file_meta", None)),
    )
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        entry["kind"] = "no_pixels"
        return entry
    spp = int(ds.get("SamplesPerPixel", 1))
    entry.update(rows=int(ds.get("Rows", 0)), columns=int(ds.get("Columns", 0)),
                 frames=int(ds.get("NumberOfFrames", 1) or 1), samples_per_pixel=spp,
                 bits_allocated=int(ds.get("BitsAllocated", 0)),
                 bits_stored=int(ds.get("BitsStored", 0)),
                 pixel_representation=int(ds.get("PixelRepresentation", 0)),
                 photometric=str(ds.get("PhotometricInterpretation", "")))
    if spp != 1:
        entry["kind"] = "colour"
        return entry
    try:
        arr = ds.pixel_array
    except Exception as exc:  # noqa: BLE001
        entry.update(kind="undecodable", pydicom_error=f"{type(exc).__name__}: {exc}")
        return entry
    frames = entry["frames"]
    arr = arr.reshape(frames, entry["rows"], entry["columns"])
    hu = np.empty(arr.shape, dtype="<f8")
    rescales = []
    geometry = [frame_geometry(ds, f) for f in range(frames)]
    for f in range(frames):
        slope, intercept = frame_rescale(ds, f)
        rescales.append([slope, intercept])
        hu[f] = arr[f].astype(np.float64) * slope + intercept
    pad = padding(ds)
    keep = np.ones(arr.shape, dtype=bool) if pad is None else ~((arr >= pad[0]) & (arr <= pad[1]))
    values = hu[keep]
    (out_dir / f"{ident}.f64").write_bytes(hu.tobytes())
    lossy = tsuid in LOSSY_SYNTAXES or str(ds.get("LossyImageCompression", "00")) == "01"
    entry.update(kind="image", lossy=lossy, rescale=rescales, padding=pad,
                 positions=[g[0] for g in geometry], orientation=geometry[0][1],
                 pixel_spacing=geometry[0][2],
                 stored_min=int(arr.min()), stored_max=int(arr.max()),
                 hu_count=int(values.size),
                 hu_mean=float(values.mean()) if values.size else None,
                 hu_min=float(values.min()) if values.size else None,
                 hu_max=float(values.max()) if values.size else None,
                 hu_sha256=hashlib.sha256(hu.tobytes()).hexdigest())
    return entry


def main():
    dicom_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, path in enumerate(sorted(p for p in dicom_dir.rglob("*") if p.is_file())):
        entries.append(describe(path, out_dir, f"f{i:04d}"))
    manifest = {"generator": f"pydicom {pydicom.__version__}, numpy {np.__version__}",
                "files": entries}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    kinds = {}
    for e in entries:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print(f"reference: {len(entries)} files " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
