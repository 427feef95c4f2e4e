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
    /// Trabecular ROI semi-axes as a fraction of the vertebral body's (cortical shell included).
    public var roiScale = 0.65
    public init() {}
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

/// Finds the vertebral bodies of a spine phantom with no hints.
///
/// 1. In slabs of a few mm: pixels above the background by a noise-scaled
///    margin, holes filled (the cortical shell encloses the trabecular
///    body whatever its density), opened by a disc of 0.6 × the template's
///    smaller trabecular semi-axis (removes posterior elements, rods and
///    thin structures), and kept when the area fits a vertebral body.
/// 2. The bodies that line up along z form the spine column; a line is
///    fitted through their centres.
/// 3. A profile along the column (mean HU of a central disc per slice),
///    where it rises above the background, is cut into flat stretches:
///    the trabecular interiors. Endplates and gaps, which thick slices
///    blur into a bump between two bodies, fall between stretches.
public enum VertebraLocator {
    public static func locate(_ v: Volume, phantom: PhantomDefinition,
                              settings: VertebraSearchSettings = VertebraSearchSettings()) -> SpineSearch {
        let g = v.geometry
        let template = phantom.inserts.filter { $0.role == .vertebra }
        guard !template.isEmpty, g.slices > 0 else { return SpineSearch(segments: [], backgroundHU: 0, noiseHU: 0) }
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let minorMM = template.map { min($0.shape.halfExtents.0, $0.shape.halfExtents.1) }.reduce(0, +) / Double(template.count)
        let majorMM = template.map { max($0.shape.halfExtents.0, $0.shape.halfExtents.1) }.reduce(0, +) / Double(template.count)
        let areaMM2 = Double.pi * minorMM * majorMM
        let heights = template.map { $0.shape.zRange.upperBound - $0.shape.zRange.lowerBound }
        let heightMM = heights.reduce(0, +) / Double(heights.count)

        // 1. Bodies in slabs (binned to about 2 mm pixels: a body still spans 15 or more), in parallel.
        let bin = max(1, Int((2.0 / ps).rounded(.down)))
        let binMM = ps * Double(bin)
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
            for body in bodies(in: image, background: f.background, noise: noise, openingMM: 0.6 * minorMM, pixelMM: binMM) {
                let area = body.area * binMM * binMM
                let e = body.ellipse
                guard area >= 0.35 * areaMM2, area <= 3 * areaMM2, e.a <= 3 * max(e.b, 1) else { continue }
                let c = body.centroid
                f.bodies.append((Double(range.lowerBound + range.upperBound) / 2,
                                 (c.i + 0.5) * Double(bin) - 0.5, (c.j + 0.5) * Double(bin) - 0.5))
            }
            findings.set(n, f)
        }
        let results = findings.results
        let backgrounds = results.map(\.background), noises = results.map(\.noise)
        let found = results.flatMap(\.bodies)
        let background = median(backgrounds)
        let noise = median(noises)
        // 2. The spine column: the largest group of bodies that line up.
        let reach = 0.5 * minorMM / ps
        var columns: [[Int]] = []
        for (n, f) in found.enumerated() {
            if let c = columns.firstIndex(where: { col in
                let m = col.map { found[$0] }
                let ci = m.map(\.i).reduce(0, +) / Double(m.count), cj = m.map(\.j).reduce(0, +) / Double(m.count)
                return hypot(ci - f.i, cj - f.j) < reach
            }) {
                columns[c].append(n)
            } else {
                columns.append([n])
            }
        }
        guard let column = columns.max(by: { $0.count < $1.count })?.map({ found[$0] }) else {
            return SpineSearch(segments: [], backgroundHU: background, noiseHU: noise)
        }
        let lineI = line(column.map { ($0.slice, $0.i) }), lineJ = line(column.map { ($0.slice, $0.j) })
        func center(_ k: Double) -> (i: Double, j: Double) { (lineI.0 + lineI.1 * k, lineJ.0 + lineJ.1 * k) }

        // 3. Profile along the column.
        let radius = 0.5 * minorMM
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
                if !cut && height < 0.45 * heightMM { continue }
                let values = plateau.map { profile[$0] }.sorted()
                let first = Double(plateau.lowerBound) - 0.5, last = Double(plateau.upperBound) + 0.5
                segments.append(VertebraSegment(firstSlice: first, lastSlice: last, heightMM: height, plateauHU: values[values.count / 2],
                                                cutAtEdge: cut, centerPixel: center((first + last) / 2)))
            }
        }
        return SpineSearch(segments: segments, backgroundHU: background, noiseHU: noise)
    }

    /// Bodies in one slab image: mask above background, holes filled, opened.
    static func bodies(in image: SlabImage, background: Double, noise: Double, openingMM: Double, pixelMM: Double) -> [Blob] {
        let threshold = background + max(20, 4 * noise)
        let mask = BinaryImage(columns: image.columns, rows: image.rows, pixels: image.pixels.map { $0 > threshold })
        return mask.holesFilled().opened(radius: openingMM / pixelMM).components()
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
    var background = 0.0, noise = 0.0
    var bodies: [(slice: Double, i: Double, j: Double)] = []
}

/// Per-slab results written by concurrent workers, one slot each.
final class SlabFindings: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [SlabFinding]

    init(count: Int) { slots = Array(repeating: SlabFinding(), count: count) }

    func set(_ n: Int, _ finding: SlabFinding) {
        lock.lock()
        defer { lock.unlock() }
        slots[n] = finding
    }

    var results: [SlabFinding] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
