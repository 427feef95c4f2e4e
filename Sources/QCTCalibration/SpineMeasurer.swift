import Dispatch
import Foundation
import QCTCore
import QCTPhantoms

/// Measures a spine phantom's vertebrae: finds the bodies, names them,
/// places a trabecular ROI in each and converts its mean HU with a
/// calibration (domain reference §4).
public enum SpineMeasurer {
    public struct Result: Sendable {
        public var vertebrae: [VertebraReading]
        public var checks: [CalibrationCheck]
        public var backgroundHU: Double
    }

    /// `sliceThicknessMM`: the series' nominal thickness (default: the slice spacing).
    /// `search`: the vertebrae already located with these settings, when the caller has them.
    /// `alongZ`: per-slab calibrations; when given, each vertebra is converted with the one at its z.
    public static func measure(_ v: Volume, phantom: PhantomDefinition, certificate: Certificate?, fit: CalibrationFit?,
                               alongZ: [SliceCalibration]? = nil, sliceThicknessMM: Double? = nil,
                               settings: VertebraSearchSettings = VertebraSearchSettings(), search found: SpineSearch? = nil) -> Result {
        let g = v.geometry
        let slots = phantom.inserts.filter { $0.role == .vertebra }
            .sorted { $0.shape.zRange.lowerBound < $1.shape.zRange.lowerBound }
        let quantity = phantom.certificateQuantities.first
        let nominal = slots.map { s in quantity.flatMap { certificate?.value(insert: s.name, quantity: $0) } ?? s.nominal ?? .nan }
        let search = found ?? VertebraLocator.locate(v, phantom: phantom, settings: settings)
        let segments = search.segments.sorted { $0.midSlice < $1.midSlice }
        let names = assign(segments, slots: slots, nominal: nominal, fit: fit, background: search.backgroundHU,
                           sliceSpacing: g.sliceSpacing, slices: g.slices)
        // Each named body that is whole enough to read, measured in parallel.
        var measured = [SegmentMeasurement?](repeating: nil, count: slots.count)
        measured.withUnsafeMutableBufferPointer { buffer in
            let out = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: slots.count) { s in
                guard let n = names.firstIndex(of: s) else { return }
                let expected = slots[s].shape.zRange.upperBound - slots[s].shape.zRange.lowerBound
                if segments[n].cutAtEdge && segments[n].heightMM < 0.85 * expected { return }
                out.buffer[s] = measureSegment(v, segments[n], background: search.backgroundHU,
                                               thicknessMM: max(g.sliceSpacing, sliceThicknessMM ?? 0), settings: settings)
            }
        }
        var readings: [VertebraReading] = []
        for (s, slot) in slots.enumerated() {
            var r = VertebraReading(name: slot.name, nominal: nominal[s], voxels: 0, sliceRange: [])
            guard let n = names.firstIndex(of: s) else {
                r.missing = "not in the scan"
                readings.append(r)
                continue
            }
            let seg = segments[n]
            let expected = slot.shape.zRange.upperBound - slot.shape.zRange.lowerBound
            if seg.cutAtEdge && seg.heightMM < 0.85 * expected {
                r.missing = String(format: "cut off at the scan edge: %.1f mm of about %.0f mm in the scan", seg.heightMM, expected)
                readings.append(r)
                continue
            }
            guard let m = measured[s] else {
                r.missing = "no vertebral body outline found at the middle of the body"
                readings.append(r)
                continue
            }
            r.meanHU = m.stats.mean
            r.medianHU = m.stats.median
            r.sdHU = m.stats.sd
            r.voxels = m.stats.count
            r.sliceRange = [m.slices.lowerBound, m.slices.upperBound]
            r.roi = m.roi
            r.homogeneity = m.homogeneity
            let line: (slope: Double, intercept: Double)?
            if let alongZ, !alongZ.isEmpty {
                line = CalibrationAlongZ.at(z: m.roi.centerMM[2], alongZ)
            } else {
                line = fit.map { ($0.slope, $0.intercept) }
            }
            r.calibrationSlope = line?.slope
            r.calibrationIntercept = line?.intercept
            r.bmd = line.map { $0.slope * m.stats.mean + $0.intercept }
            readings.append(r)
        }
        return Result(vertebrae: readings, checks: checks(readings, fit: fit), backgroundHU: search.backgroundHU)
    }

    /// Names segments (in slice order) by template slot: the order-preserving
    /// assignment, in either direction along z, whose readings best match the
    /// nominal densities and whose spacing best matches the template's.
    static func assign(_ segments: [VertebraSegment], slots: [PhantomDefinition.Insert], nominal: [Double], fit: CalibrationFit?,
                       background: Double, sliceSpacing: Double, slices: Int) -> [Int?] {
        guard !segments.isEmpty, !slots.isEmpty else { return segments.map { _ in nil } }
        let centres = slots.map { ($0.shape.zRange.lowerBound + $0.shape.zRange.upperBound) / 2 }
        let pitch = slots.count > 1 ? (centres.last! - centres.first!) / Double(slots.count - 1) : 40
        let level = segments.map { s in fit.map { $0.bmd(hu: s.plateauHU) } }
        let contrast = segments.map { max($0.plateauHU - background, 1) }
        var best: [Int?] = segments.map { _ in nil }, bestScore = Double.infinity
        func score(_ a: [Int?]) -> Double {
            var s = Double(a.filter { $0 == nil }.count) * 3
            let pairs = a.enumerated().compactMap { n, slot in slot.map { (n, $0) } }
            if pairs.isEmpty { return s + 100 }
            if fit != nil {
                for (n, slot) in pairs { s += abs(log(max(level[n] ?? 1, 1) / max(nominal[slot], 1))) }
            } else {
                let logs = pairs.map { log(contrast[$0.0] / max(nominal[$0.1], 1)) }
                let mean = logs.reduce(0, +) / Double(logs.count)
                s += logs.map { abs($0 - mean) }.reduce(0, +)
            }
            for (p, q) in zip(pairs, pairs.dropFirst()) {
                let dz = (segments[q.0].midSlice - segments[p.0].midSlice) * sliceSpacing
                s += 2 * abs(dz / pitch - Double(abs(q.1 - p.1)))
            }
            return s
        }
        // Every choice of slots (or none) for the segments in slice order whose
        // slots run monotonically one way or the other.
        func search(_ n: Int, _ used: [Int?]) {
            if n == segments.count {
                let s = score(used)
                if s < bestScore { bestScore = s; best = used }
                return
            }
            search(n + 1, used + [nil])
            let chosen = used.compactMap { $0 }
            for slot in slots.indices where !chosen.contains(slot) {
                if chosen.count >= 2 {
                    let rising = chosen[1] > chosen[0]
                    if rising ? slot < chosen.last! : slot > chosen.last! { continue }
                }
                search(n + 1, used + [slot])
            }
        }
        search(0, [])
        return best
    }

    struct SegmentMeasurement {
        var stats: ROIStatistics
        var slices: ClosedRange<Int>
        var roi: VertebraROI
        var homogeneity: Homogeneity
    }

    /// The trabecular ROI of one body over its mid-vertebral slab: the slab's
    /// slices are averaged along the column (a tilted spine is followed),
    /// the body and its interior found by anatomy (`VertebralBody`), and the
    /// interior eroded from the inner shell surface is read in every slice.
    static func measureSegment(_ v: Volume, _ seg: VertebraSegment, background: Double, thicknessMM: Double,
                               settings: VertebraSearchSettings) -> SegmentMeasurement? {
        let g = v.geometry
        let spacing = g.sliceSpacing
        let mid = seg.midSlice
        // Slices lying wholly inside the slab around the middle, on the flat (endplate-free) part of the body.
        var slices = (0..<g.slices).filter { k in
            abs(Double(k) - mid) * spacing + thicknessMM / 2 <= settings.slabMM / 2 + 1e-9 && Double(k) > seg.firstSlice && Double(k) < seg.lastSlice
        }
        if slices.isEmpty { slices = [min(g.slices - 1, max(0, Int(mid.rounded())))] }
        let range = slices.first!...slices.last!
        // A window of ±70 mm around the column centre, each slice shifted by the column's drift.
        let half = Int((70 / min(g.columnSpacing, g.rowSpacing)).rounded(.up))
        let c = seg.centerPixel
        let i0 = Int(c.i.rounded()) - half, j0 = Int(c.j.rounded()) - half
        let w = 2 * half + 1
        let shifts = range.map { k in (Int((seg.drift.i * (Double(k) - mid)).rounded()), Int((seg.drift.j * (Double(k) - mid)).rounded())) }
        var sum = [Double](repeating: 0, count: w * w), count = [Int](repeating: 0, count: w * w)
        for (n, k) in range.enumerated() {
            let (di, dj) = shifts[n]
            for y in 0..<w {
                let j = j0 + y + dj
                guard j >= 0, j < g.rows else { continue }
                for x in 0..<w {
                    let i = i0 + x + di
                    guard i >= 0, i < g.columns else { continue }
                    let index = (k * g.rows + j) * g.columns + i
                    sum[y * w + x] += v.isPadding(at: index) ? -1000 : v.hu(at: index)
                    count[y * w + x] += 1
                }
            }
        }
        let pixels = zip(sum, count).map { $1 > 0 ? $0 / Double($1) : -1000 }
        let image = SlabImage(columns: w, rows: w, pixels: pixels)
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let noise = image.noiseSD()
        let (mask, bone) = VertebralBody.bodyMask(pixels, columns: w, rows: w, background: background, noise: noise,
                                                  openingMM: settings.posteriorOpeningMM, pixelMM: ps)
        let (labels, blobs) = mask.labelled()
        let centre = Double(half)
        guard let b = VertebralBody.plausible(blobs, pixelMM: ps)
            .filter({ hypot(blobs[$0].centroid.i - centre, blobs[$0].centroid.j - centre) * ps < 15 })
            .min(by: { hypot(blobs[$0].centroid.i - centre, blobs[$0].centroid.j - centre) < hypot(blobs[$1].centroid.i - centre, blobs[$1].centroid.j - centre) })
        else { return nil }
        let body = VertebralBody.restored(BinaryImage(columns: w, rows: w, pixels: labels.map { $0 == Int32(b) }), bone: bone,
                                          openingMM: settings.posteriorOpeningMM, pixelMM: ps)
        guard let interior = VertebralBody.interior(pixels, body: body, noise: noise, pixelMM: ps, erosionMM: settings.erosionMM) else { return nil }
        var roiBlob = Blob()
        var roiPixels: [Int] = []
        for p in interior.roi.pixels.indices where interior.roi.pixels[p] {
            roiPixels.append(p)
            roiBlob.add(i: Double(p % w), j: Double(p / w))
        }
        guard roiPixels.count >= 2 else { return nil }
        // A tilted body's endplates are tilted too: at the ROI's edge they reach further into the slab
        // than at the central disc that found the body's flat stretch. Slices nearer the stretch's ends
        // than that reach are left out (the middle slice always stays).
        let tiltI = seg.drift.i * g.columnSpacing / spacing, tiltJ = seg.drift.j * g.rowSpacing / spacing
        var reach = 0.0
        for p in roiPixels {
            let dx = (Double(p % w) - roiBlob.centroid.i) * g.columnSpacing
            let dy = (Double(p / w) - roiBlob.centroid.j) * g.rowSpacing
            reach = max(reach, abs(dx * tiltI + dy * tiltJ))
        }
        let profileDisc = 0.4 * blobs[b].ellipse.b * ps
        let margin = max(0, reach - profileDisc * (tiltI * tiltI + tiltJ * tiltJ).squareRoot())
        let slab = Array(range)
        var kept = slab.indices.filter { n in
            let k = Double(slab[n])
            return (min(k - seg.firstSlice, seg.lastSlice - k) - 0.5) * spacing >= margin - 1e-9
        }
        if kept.isEmpty { kept = [slab.count / 2] }
        var values: [Double] = []
        values.reserveCapacity(roiPixels.count * kept.count)
        for n in kept {
            let k = slab[n]
            let (di, dj) = shifts[n]
            for p in roiPixels {
                let i = i0 + p % w + di, j = j0 + p / w + dj
                guard i >= 0, i < g.columns, j >= 0, j < g.rows else { continue }
                let index = (k * g.rows + j) * g.columns + i
                if v.isPadding(at: index) { continue }
                values.append(v.hu(at: index))
            }
        }
        guard values.count >= 2 else { return nil }
        let read = slab[kept.first!]...slab[kept.last!]
        let e = roiBlob.ellipse, bodyEllipse = blobs[b].ellipse
        let ci = Double(i0) + roiBlob.centroid.i, cj = Double(j0) + roiBlob.centroid.j
        let position = g.position(column: ci, row: cj, slice: mid)
        let areaMM2 = Double(roiPixels.count) * g.columnSpacing * g.rowSpacing
        let roi = VertebraROI(kind: "mask", centerMM: [position.x, position.y, position.z], semiAxesMM: [e.a * ps, e.b * ps],
                              angleDegrees: e.angle * 180 / .pi, areaMM2: areaMM2, pixelsPerSlice: roiPixels.count,
                              erosionMM: settings.erosionMM, bodySemiAxesMM: [bodyEllipse.a * ps, bodyEllipse.b * ps],
                              slabMM: [g.position(column: ci, row: cj, slice: Double(read.lowerBound)).z,
                                       g.position(column: ci, row: cj, slice: Double(read.upperBound)).z],
                              bodyHeightMM: seg.heightMM,
                              tiltDegrees: [atan(seg.drift.i * g.columnSpacing / spacing) * 180 / .pi,
                                            atan(seg.drift.j * g.rowSpacing / spacing) * 180 / .pi])
        let stats = ROIStatistics(&values)
        return SegmentMeasurement(stats: stats, slices: read, roi: roi,
                                  homogeneity: Homogeneity.judge(values: values, stats: stats, settings: settings))
    }

    static func checks(_ readings: [VertebraReading], fit: CalibrationFit?) -> [CalibrationCheck] {
        var out: [CalibrationCheck] = []
        let missing = readings.filter { $0.meanHU == nil }
        out.append(CalibrationCheck(name: "vertebrae found", status: missing.isEmpty ? .pass : .fail,
                                    detail: missing.isEmpty ? "\(readings.count) of \(readings.count) vertebrae measured"
                                        : "missing: " + missing.map { "\($0.name) (\($0.missing ?? "not found"))" }.joined(separator: "; ")))
        if fit == nil {
            out.append(CalibrationCheck(name: "calibration", status: .fail, detail: "no calibration: HU measured, no BMD"))
        }
        let measured = readings.filter { $0.meanHU != nil }.sorted { $0.nominal < $1.nominal }
        let broken = zip(measured, measured.dropFirst()).filter { ($0.1.meanHU ?? 0) <= ($0.0.meanHU ?? 0) }
        if measured.count > 1 {
            out.append(CalibrationCheck(name: "density order", status: broken.isEmpty ? .pass : .warn,
                                        detail: broken.isEmpty ? "ROI HU rises with nominal density"
                                            : "ROI HU does not rise with nominal density between " + broken.map { "\($0.0.name)/\($0.1.name)" }.joined(separator: ", ")))
        }
        let mixed = measured.filter { $0.homogeneity?.pass == false }
        if !measured.isEmpty {
            out.append(CalibrationCheck(name: "ROI homogeneity", status: mixed.isEmpty ? .pass : .fail,
                                        detail: mixed.isEmpty ? "every ROI holds trabecular bone only (SD and mean − median within limits)"
                                            : mixed.map { "\($0.name): \($0.homogeneity?.reason ?? "")" }.joined(separator: "; ")))
        }
        let small = measured.filter { $0.voxels < 200 }
        if !small.isEmpty {
            out.append(CalibrationCheck(name: "ROI size", status: .warn,
                                        detail: "fewer than 200 voxels: " + small.map { "\($0.name) (\($0.voxels))" }.joined(separator: ", ")))
        }
        return out
    }
}
