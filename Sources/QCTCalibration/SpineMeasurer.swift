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
        let minorMM = slots.map { min($0.shape.halfExtents.0, $0.shape.halfExtents.1) }.reduce(0, +) / Double(max(1, slots.count))
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
            guard let m = measureSegment(v, seg, background: search.backgroundHU, openingMM: 0.6 * minorMM,
                                         thicknessMM: max(g.sliceSpacing, sliceThicknessMM ?? 0), settings: settings) else {
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
    }

    /// The ROI of one body over its mid-vertebral slab.
    static func measureSegment(_ v: Volume, _ seg: VertebraSegment, background: Double, openingMM: Double, thicknessMM: Double,
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
        let image = SlabImage(volume: v, slices: range)
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let blobs = VertebraLocator.bodies(in: image, background: background, noise: image.noiseSD(), openingMM: openingMM, pixelMM: ps)
        let c = seg.centerPixel
        guard let body = blobs.filter({ hypot($0.centroid.i - c.i, $0.centroid.j - c.j) * ps < 2 * openingMM })
            .min(by: { hypot($0.centroid.i - c.i, $0.centroid.j - c.j) < hypot($1.centroid.i - c.i, $1.centroid.j - c.j) })
        else { return nil }
        let e = body.ellipse
        let (ci, cj) = body.centroid
        let a = e.a * ps * settings.roiScale, b = e.b * ps * settings.roiScale
        let cosA = cos(e.angle), sinA = sin(e.angle)
        var values: [Double] = []
        let reach = a / min(g.columnSpacing, g.rowSpacing) + 1
        for k in range {
            for j in max(0, Int(cj - reach))...min(g.rows - 1, Int(cj + reach) + 1) {
                for i in max(0, Int(ci - reach))...min(g.columns - 1, Int(ci + reach) + 1) {
                    let dx = (Double(i) - ci) * g.columnSpacing, dy = (Double(j) - cj) * g.rowSpacing
                    let u = dx * cosA + dy * sinA, w = -dx * sinA + dy * cosA
                    guard (u * u) / (a * a) + (w * w) / (b * b) <= 1 else { continue }
                    let index = (k * g.rows + j) * g.columns + i
                    if v.isPadding(at: index) { continue }
                    values.append(v.hu(at: index))
                }
            }
        }
        guard values.count >= 2 else { return nil }
        let centre = g.position(column: ci, row: cj, slice: mid)
        let roi = VertebraROI(centerMM: [centre.x, centre.y, centre.z], semiAxesMM: [a, b], angleDegrees: e.angle * 180 / .pi,
                              bodySemiAxesMM: [e.a * ps, e.b * ps],
                              slabMM: [g.position(column: ci, row: cj, slice: Double(range.lowerBound)).z,
                                       g.position(column: ci, row: cj, slice: Double(range.upperBound)).z],
                              bodyHeightMM: seg.heightMM)
        return SegmentMeasurement(stats: ROIStatistics(&values), slices: range, roi: roi)
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
        let small = measured.filter { $0.voxels < 200 }
        if !small.isEmpty {
            out.append(CalibrationCheck(name: "ROI size", status: .warn,
                                        detail: "fewer than 200 voxels: " + small.map { "\($0.name) (\($0.voxels))" }.joined(separator: ", ")))
        }
        return out
    }
}
