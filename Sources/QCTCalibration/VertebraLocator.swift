import Dispatch
import Foundation
import QCTCore
import QCTPhantoms

/// Settings of vertebra localization and measurement (Docs/measurement.md).
public struct VertebraSearchSettings: Codable, Hashable, Sendable {
    /// Slabs averaged to find vertebral bodies, mm of z.
    public var detectionSlabMM = 5.0
    /// Mid-vertebral slab measured, mm of z: slices lying wholly inside it
    /// and off the endplates (at least the middle slice).
    public var slabMM = 20.0
    /// The trabecular ROI keeps this far from the inner surface of the cortical shell, mm.
    public var erosionMM = 2.0
    /// Disc radius that opens the posterior elements (pedicles, lamina, spinous process) off the body, mm.
    public var posteriorOpeningMM = 9.0
    /// Homogeneity: the ROI's SD may exceed its robust SD (1.4826 × MAD) by this factor plus `sdMarginHU`…
    public var maxSDRatio = 1.3
    public var sdMarginHU = 2.0
    /// …and its mean may differ from its median by at most max(`maxMeanMedianGapHU`, `maxMeanMedianGapNoise` × robust SD).
    public var maxMeanMedianGapHU = 2.0
    public var maxMeanMedianGapNoise = 0.3
    public init() {}

    /// Saved measurements of earlier versions lack some settings (and hold `roiScale`, an ellipse
    /// ROI's, now gone): what is missing takes its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VertebraSearchSettings()
        detectionSlabMM = try c.decodeIfPresent(Double.self, forKey: .detectionSlabMM) ?? d.detectionSlabMM
        slabMM = try c.decodeIfPresent(Double.self, forKey: .slabMM) ?? d.slabMM
        erosionMM = try c.decodeIfPresent(Double.self, forKey: .erosionMM) ?? d.erosionMM
        posteriorOpeningMM = try c.decodeIfPresent(Double.self, forKey: .posteriorOpeningMM) ?? d.posteriorOpeningMM
        maxSDRatio = try c.decodeIfPresent(Double.self, forKey: .maxSDRatio) ?? d.maxSDRatio
        sdMarginHU = try c.decodeIfPresent(Double.self, forKey: .sdMarginHU) ?? d.sdMarginHU
        maxMeanMedianGapHU = try c.decodeIfPresent(Double.self, forKey: .maxMeanMedianGapHU) ?? d.maxMeanMedianGapHU
        maxMeanMedianGapNoise = try c.decodeIfPresent(Double.self, forKey: .maxMeanMedianGapNoise) ?? d.maxMeanMedianGapNoise
    }
}

/// A vertebral body found on the spine column, not yet named.
public struct VertebraSegment: Sendable {
    /// Extent along the slice axis of the flat (trabecular) part of the
    /// profile, fractional slice indices (slice edges).
    public var firstSlice: Double
    public var lastSlice: Double
    /// Height of the flat part, mm.
    public var heightMM: Double
    /// Median of the central profile over the body, HU.
    public var plateauHU: Double
    /// The body runs into the first or last slice: its extent is not known.
    public var cutAtEdge: Bool
    /// Column centre (pixel column, row) at the middle of the body.
    public var centerPixel: (i: Double, j: Double)
    /// How the column's centre moves per slice here (pixels per slice): a tilted spine.
    public var drift: (i: Double, j: Double) = (0, 0)
    public var midSlice: Double { (firstSlice + lastSlice) / 2 }
}

/// What the spine search found: bodies along one column, and the background.
public struct SpineSearch: Sendable {
    public var segments: [VertebraSegment]
    /// HU of the material around the vertebrae (the mode of the slabs).
    public var backgroundHU: Double
    /// Pixel noise SD of one slice, HU.
    public var noiseHU: Double
}

/// Finds the vertebral bodies of a spine phantom with no hints and no template geometry.
///
/// 1. In slabs of a few mm: vertebral bodies by their anatomy
///    (`VertebralBody.bodyMask`: bone above the background, the shell's
///    interior filled but not the canal, posterior elements opened off),
///    kept when size and shape fit a vertebral body.
/// 2. Bodies that follow one another along z, allowing a tilt of up to
///    15°, form columns; a column's centre at every slice comes from a
///    local line through the bodies near that slice.
/// 3. A profile along a column (mean HU of a central disc per slice),
///    where it rises above the background, is cut into flat stretches:
///    the trabecular interiors. Endplates and gaps, which thick slices
///    blur into a bump between two bodies, fall between stretches.
/// 4. The spine is the column whose stretches are most often of a
///    vertebral body's height (a stack of bodies and discs; a rod is one
///    long stretch), the one with most bone among equals.
public enum VertebraLocator {
    public static func locate(_ v: Volume, phantom: PhantomDefinition,
                              settings: VertebraSearchSettings = VertebraSearchSettings()) -> SpineSearch {
        let g = v.geometry
        let template = phantom.inserts.filter { $0.role == .vertebra }
        guard !template.isEmpty, g.slices > 0 else { return SpineSearch(segments: [], backgroundHU: 0, noiseHU: 0) }
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let heights = template.map { $0.shape.zRange.upperBound - $0.shape.zRange.lowerBound }
        let heightMM = heights.reduce(0, +) / Double(heights.count)

        // 1. Bodies in slabs (binned to about 2 mm pixels: a body still spans 15 or more), in parallel.
        let bin = max(1, Int((2.0 / ps).rounded(.down)))
        let binMM = ps * Double(bin)
        // An image narrower than a vertebral body (40 mm) cannot hold the ESP: not found (a 512 × 1
        // slice binned to 2 mm pixels had no column left, and the search indexed outside it).
        guard Double(g.columns) * g.columnSpacing >= 40, Double(g.rows) * g.rowSpacing >= 40, g.columns / bin >= 8, g.rows / bin >= 8 else {
            return SpineSearch(segments: [], backgroundHU: 0, noiseHU: 0)
        }
        let slabs = SlabImage.ranges(g, thicknessMM: settings.detectionSlabMM)
        let findings = SlabFindings(count: slabs.count)
        let slabList = slabs
        DispatchQueue.concurrentPerform(iterations: slabList.count) { n in
            let range = slabList[n]
            let image = SlabImage(volume: v, slices: range, bin: bin)
            var f = SlabFinding()
            f.background = backgroundLevel(image.pixels)
            let noise = image.noiseSD()
            f.noise = noise * Double(bin) * Double(range.count).squareRoot()
            let mask = VertebralBody.bodyMask(image.pixels, columns: image.columns, rows: image.rows, background: f.background,
                                              noise: noise, openingMM: settings.posteriorOpeningMM, pixelMM: binMM).opened
            let blobs = mask.components()
            for b in VertebralBody.plausible(blobs, pixelMM: binMM) {
                let c = blobs[b].centroid
                f.bodies.append(SlabFinding.Body(slice: Double(range.lowerBound + range.upperBound) / 2,
                                                 i: (c.i + 0.5) * Double(bin) - 0.5, j: (c.j + 0.5) * Double(bin) - 0.5,
                                                 minorMM: blobs[b].ellipse.b * binMM, areaMM2: blobs[b].area * binMM * binMM))
            }
            findings.set(n, f)
        }
        let results = findings.results
        let found = results.flatMap(\.bodies).sorted { $0.slice < $1.slice }
        let background = median(results.map(\.background))
        let noise = median(results.map(\.noise))
        // 2. The spine column: chains of bodies, each following the last within 8 mm plus a 15° tilt.
        var columns: [[SlabFinding.Body]] = []
        for f in found {
            let dzMax = 45.0
            let candidates = columns.indices.compactMap { c -> (Int, Double)? in
                guard let last = columns[c].last, last.slice < f.slice else { return nil }
                let dz = (f.slice - last.slice) * g.sliceSpacing
                let d = hypot((f.i - last.i) * g.columnSpacing, (f.j - last.j) * g.rowSpacing)
                return dz <= dzMax && d <= 8 + 0.27 * dz ? (c, d) : nil
            }
            if let best = candidates.min(by: { $0.1 < $1.1 }) { columns[best.0].append(f) } else { columns.append([f]) }
        }
        // 3. The spine among the columns: a stack of bodies of vertebral height, separated by discs. A
        //    calibration rod or any other uniform cylinder is one long stretch; among the largest columns
        //    the one with most body-high stretches wins, then the one with most bone.
        func area(_ c: [SlabFinding.Body]) -> Double { c.map(\.areaMM2).reduce(0, +) }
        var choice: (segments: [VertebraSegment], bodies: Int, area: Double)?
        for column in columns.sorted(by: { area($0) > area($1) }).prefix(4) {
            let found = segments(v, along: column, background: background, noise: noise, heightMM: heightMM)
            let bodies = found.filter { $0.heightMM <= 1.6 * heightMM }.count
            if choice == nil || bodies > choice!.bodies { choice = (found, bodies, area(column)) }
        }
        return SpineSearch(segments: choice?.segments ?? [], backgroundHU: background, noiseHU: noise)
    }

    /// The bodies along one column: the profile along its centre line (mean HU of a central disc
    /// per slice) where it rises above the background, cut into flat stretches.
    static func segments(_ v: Volume, along column: [SlabFinding.Body], background: Double, noise: Double,
                         heightMM: Double) -> [VertebraSegment] {
        let g = v.geometry
        let minorMM = median(column.map(\.minorMM))
        let global = (i: line(column.map { ($0.slice, $0.i) }), j: line(column.map { ($0.slice, $0.j) }))
        // The column's centre near slice k: a line through the bodies within ±25 mm (the global line where too few).
        let window = 25 / g.sliceSpacing
        func local(_ k: Double) -> (i: (Double, Double), j: (Double, Double)) {
            let near = column.filter { abs($0.slice - k) <= window }
            guard Set(near.map(\.slice)).count >= 2 else { return global }
            return (line(near.map { ($0.slice, $0.i) }), line(near.map { ($0.slice, $0.j) }))
        }
        func center(_ k: Double) -> (i: Double, j: Double) {
            let l = local(k)
            return (l.i.0 + l.i.1 * k, l.j.0 + l.j.1 * k)
        }
        let radius = 0.4 * minorMM
        let profile = (0..<g.slices).map { k -> Double in
            let c = center(Double(k))
            return discMean(v, slice: k, ci: c.i, cj: c.j, radiusMM: radius) ?? background
        }
        let discPixels = Double.pi * radius * radius / (g.columnSpacing * g.rowSpacing)
        let threshold = background + max(15, 6 * noise / discPixels.squareRoot())
        var runs: [ClosedRange<Int>] = []
        var start: Int?
        for k in 0...g.slices {
            let above = k < g.slices && profile[k] > threshold
            if above, start == nil { start = k }
            if !above, let s = start { runs.append(s...(k - 1)); start = nil }
        }
        let spacing = g.sliceSpacing
        let discNoise = noise / discPixels.squareRoot()
        var segments: [VertebraSegment] = []
        for run in runs {
            for plateau in plateaus(run, profile: profile, background: background, noise: discNoise) {
                let height = Double(plateau.count) * spacing
                let cut = plateau.lowerBound == 0 || plateau.upperBound == g.slices - 1
                // Shorter than 45 % of a body: an endplate or a shell cut obliquely, unless the scan edge cut it.
                if !cut && height < 0.45 * min(heightMM, 20) { continue }
                let values = plateau.map { profile[$0] }.sorted()
                let first = Double(plateau.lowerBound) - 0.5, last = Double(plateau.upperBound) + 0.5
                let mid = (first + last) / 2
                let l = local(mid)
                segments.append(VertebraSegment(firstSlice: first, lastSlice: last, heightMM: height, plateauHU: values[values.count / 2],
                                                cutAtEdge: cut, centerPixel: center(mid), drift: (l.i.1, l.j.1)))
            }
        }
        return segments
    }

    /// The most common value between −300 and 300 HU (1 HU bins, smoothed over ±5 HU).
    static func backgroundLevel(_ pixels: [Double]) -> Double {
        var histogram = [Double](repeating: 0, count: 601)
        for p in pixels where p > -300 && p < 300 { histogram[Int((p + 300).rounded())] += 1 }
        var best = 300, bestCount = -1.0
        for b in 5..<596 {
            let s = histogram[(b - 5)...(b + 5)].reduce(0, +)
            if s > bestCount { bestCount = s; best = b }
        }
        return Double(best - 300)
    }

    /// Mean HU of a disc in one slice, padding excluded; nil when empty.
    static func discMean(_ v: Volume, slice k: Int, ci: Double, cj: Double, radiusMM: Double) -> Double? {
        let g = v.geometry
        let ri = radiusMM / g.columnSpacing, rj = radiusMM / g.rowSpacing
        var sum = 0.0, n = 0
        for j in max(0, Int((cj - rj).rounded(.down)))...min(g.rows - 1, Int((cj + rj).rounded(.up))) {
            for i in max(0, Int((ci - ri).rounded(.down)))...min(g.columns - 1, Int((ci + ri).rounded(.up))) {
                let dx = (Double(i) - ci) / ri, dy = (Double(j) - cj) / rj
                guard dx * dx + dy * dy <= 1 else { continue }
                let index = (k * g.rows + j) * g.columns + i
                if v.isPadding(at: index) { continue }
                sum += v.hu(at: index)
                n += 1
            }
        }
        return n > 0 ? sum / Double(n) : nil
    }

    /// Flat stretches of the profile within a run: consecutive slices within
    /// a tolerance of the stretch's median (10 HU, 4 noise SDs of the disc
    /// mean, or 10 % of the contrast, whichever is largest). Partial-volume
    /// slices at endplates and gaps jump out of a stretch, so bodies that
    /// thick slices merge into one run come apart here.
    static func plateaus(_ run: ClosedRange<Int>, profile: [Double], background: Double, noise: Double) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        var start = run.lowerBound
        var values: [Double] = [profile[start]]
        func median() -> Double {
            let s = values.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        for k in (run.lowerBound + 1)...max(run.lowerBound + 1, run.upperBound + 1) {
            let m = median()
            let tolerance = max(10, 4 * noise, 0.1 * abs(m - background))
            if k <= run.upperBound, abs(profile[k] - m) <= tolerance {
                values.append(profile[k])
                continue
            }
            out.append(start...(k - 1))
            if k <= run.upperBound {
                start = k
                values = [profile[k]]
            }
        }
        return out
    }

    /// Least-squares line y = a + b·x (b = 0 with fewer than two distinct x).
    static func line(_ points: [(Double, Double)]) -> (Double, Double) {
        let n = Double(points.count)
        let mx = points.map(\.0).reduce(0, +) / n, my = points.map(\.1).reduce(0, +) / n
        let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        guard sxx > 0 else { return (my, 0) }
        let b = points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
        return (my - b * mx, b)
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// What one detection slab holds: its background, pixel noise, and bodies (slice, column, row).
struct SlabFinding: Sendable {
    struct Body: Sendable {
        var slice, i, j, minorMM, areaMM2: Double
    }
    var background = 0.0, noise = 0.0
    var bodies: [Body] = []
}

/// Per-slab results written by concurrent workers, one slot each.
final class SlabFindings: @unchecked Sendable {
    private let slots: Locked<[SlabFinding]>

    init(count: Int) { slots = Locked(Array(repeating: SlabFinding(), count: count)) }

    func set(_ n: Int, _ finding: SlabFinding) { slots.withLock { $0[n] = finding } }

    var results: [SlabFinding] { slots.current }
}
