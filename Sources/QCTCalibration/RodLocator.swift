import Foundation
import QCTCore
import QCTPhantoms

/// Settings of rod localization and measurement (defaults: domain reference §2).
public struct RodSearchSettings: Codable, Hashable, Sendable {
    /// Slabs averaged for detection, mm of z.
    public var slabMM = 5.0
    /// ROI inset from the rod edge, mm (clear of the kernel's edge blur).
    public var roiInsetMM = 1.5
    /// Trimmed at each rod end that lies inside the scan, mm.
    public var trimEndsMM = 10.0
    /// When set, also fit the calibration in slabs of this many mm along z.
    public var alongZSlabMM: Double?
    public init() {}
}

/// One rod found in a volume: where it runs and which slices carry it.
public struct LocatedRod: Sendable {
    /// Template insert name.
    public var templateName: String
    /// Insert radius from the template, mm.
    public var radiusMM: Double
    /// Line of rod centres: centre(z) = (x0 + bx·(z − zRef), y0 + by·(z − zRef)), patient mm.
    public var x0: Double, y0: Double, bx: Double, by: Double, zRef: Double
    /// Slices measured (after trimming).
    public var slices: ClosedRange<Int>
    /// True when found in the image; false when placed from the template alone.
    public var detected: Bool
    /// Too faint for per-slice tracking: position from all slices together,
    /// slice range from the phantom's other rods.
    public var faint = false

    public func center(z: Double) -> (Double, Double) { (x0 + bx * (z - zRef), y0 + by * (z - zRef)) }
}

/// Why rods could not be found.
public struct CalibrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Finds a phantom's rods in a volume with no hints: rod-sized round blobs in
/// slabs, tracked along z, matched to the phantom's template under rotation,
/// translation, mirror and ±25 % scale, then a line fitted through the rod's
/// centre in every slice (outlier slices rejected).
public enum RodLocator {
    public static func locate(_ v: Volume, phantom: PhantomDefinition, settings: RodSearchSettings = RodSearchSettings()) throws -> [LocatedRod] {
        let g = v.geometry
        let template = phantom.inserts.filter { $0.role == .rod || $0.role == .plug }
        guard !template.isEmpty else { throw CalibrationError("phantom \(phantom.id) has no rods") }
        let radius = template.map { $0.shape.halfExtents.0 }.reduce(0, +) / Double(template.count)
        let ps = g.columnSpacing
        let rPix = radius / ps
        // 1. Candidates in slabs.
        let slabs = SlabImage.ranges(g, thicknessMM: settings.slabMM)
        // Bin the slabs while a rod still spans ≥ 6 binned pixels (speed, and less noise).
        let bin = max(1, Int(rPix / 6))
        let images = slabs.map { SlabImage(volume: v, slices: $0, bin: bin) }
        let noise = images.map { $0.noiseSD() }.sorted()[images.count / 2]
        var found: [(slab: Int, x: Double, y: Double, contrast: Double)] = []
        for (s, image) in images.enumerated() {
            for c in RodCandidateFinder.find(image, radiusPixels: rPix / Double(bin), noise: noise) {
                let p = g.position(column: (c.i + 0.5) * Double(bin) - 0.5, row: (c.j + 0.5) * Double(bin) - 0.5,
                                   slice: Double(slabs[s].lowerBound + slabs[s].upperBound) / 2)
                found.append((s, p.x, p.y, c.contrast))
            }
        }
        // 2. Tracks along z.
        var tracks: [Track] = []
        for c in found.sorted(by: { abs($0.contrast) > abs($1.contrast) }) {
            if let t = tracks.firstIndex(where: { tr in
                tr.slabs[c.slab] == nil && hypot(tr.x - c.x, tr.y - c.y) < radius && (tr.contrast > 0) == (c.contrast > 0)
            }) {
                tracks[t].add(slab: c.slab, x: c.x, y: c.y, contrast: c.contrast)
            } else {
                var t = Track()
                t.add(slab: c.slab, x: c.x, y: c.y, contrast: c.contrast)
                tracks.append(t)
            }
        }
        let minSlabs = max(1, min(2, slabs.count))
        tracks = tracks.filter { $0.slabs.count >= minSlabs }
        // Keep the strongest tracks for matching (support × contrast): pair
        // hypotheses grow with the square of their number.
        // (Support is capped so long structures do not crowd out a thin module's plugs.)
        let keepTracks = max(6 * template.count, 48)
        if tracks.count > keepTracks {
            func strength(_ t: Track) -> Double { Double(min(t.slabs.count, 4)) * abs(t.contrast) }
            tracks = Array(tracks.sorted { strength($0) > strength($1) }.prefix(keepTracks))
        }
        // 3. Template match.
        let points = template.map { ($0.shape.center[0], $0.shape.center[1]) }
        let tolerance = max(phantom.positionToleranceMM, radius)
        guard let match = TemplateMatcher.match(template: points, tracks: tracks.map { ($0.x, $0.y, $0.slabs.count) }, tolerance: tolerance) else {
            throw CalibrationError("no \(phantom.name) found: fewer than two rods of radius \(fmt(radius)) mm visible")
        }
        // 4. Rods the slabs missed (low contrast): look again near the predicted
        //    position in the mean of all slices, where noise is lowest.
        var assignment = match.assignment
        if assignment.contains(where: { $0 == nil }) {
            let all = SlabImage(volume: v, slices: 0...(g.slices - 1))
            let fullNoise = all.noiseSD()
            // The template gives the place, so a lower threshold is safe here.
            let weak = RodCandidateFinder.find(all, radiusPixels: rPix, noise: fullNoise, minimumContrast: 2, sigmas: 3)
            let used = Set(assignment.compactMap { $0 }.map { tracks[$0].x * 1e6 + tracks[$0].y })
            for index in assignment.indices where assignment[index] == nil {
                let p = match.predicted[index]
                let near = weak.map { c -> (RodCandidate, Double, Double) in
                    let q = g.position(column: c.i, row: c.j, slice: Double(g.slices - 1) / 2)
                    return (c, q.x, q.y)
                }.filter { hypot($0.1 - p.0, $0.2 - p.1) <= tolerance && !used.contains($0.1 * 1e6 + $0.2) }
                guard let best = near.min(by: { hypot($0.1 - p.0, $0.2 - p.1) < hypot($1.1 - p.0, $1.2 - p.1) }) else { continue }
                var t = Track()
                for s in slabs.indices { t.add(slab: s, x: best.1, y: best.2, contrast: best.0.contrast) }
                tracks.append(t)
                assignment[index] = tracks.count - 1
            }
        }
        // 5. Lines through per-slice centres.
        var rods: [LocatedRod] = []
        for (index, insert) in template.enumerated() {
            if let t = assignment[index] {
                rods.append(refine(v, track: tracks[t], name: insert.name, radius: insert.shape.halfExtents.0,
                                   slabs: slabs, settings: settings))
            } else {
                let p = match.predicted[index]
                rods.append(LocatedRod(templateName: insert.name, radiusMM: insert.shape.halfExtents.0, x0: p.0, y0: p.1,
                                       bx: 0, by: 0, zRef: 0, slices: 0...(g.slices - 1), detected: false))
            }
        }
        // CT-number plugs sit in a thin module: like the phantom's manual (and
        // pylinac), read them on the module's central slice, where no
        // neighbouring module blurs in along z.
        for (i, insert) in template.enumerated() where insert.role == .plug {
            let c = (rods[i].slices.lowerBound + rods[i].slices.upperBound) / 2
            rods[i].slices = c...c
        }
        // Faint and template-placed rods share the z extent of the clearly seen rods.
        let clear = rods.filter { $0.detected && !$0.faint }
        if !clear.isEmpty {
            let lo = clear.map(\.slices.lowerBound).sorted()[clear.count / 2]
            let hi = clear.map(\.slices.upperBound).sorted()[clear.count / 2]
            for i in rods.indices where (!rods[i].detected || rods[i].faint) && hi >= lo {
                rods[i].slices = lo...hi
            }
        }
        return rods
    }

    struct Track {
        var slabs: [Int: (Double, Double, Double)] = [:]
        var x = 0.0, y = 0.0, contrast = 0.0
        mutating func add(slab: Int, x px: Double, y py: Double, contrast c: Double) {
            slabs[slab] = (px, py, c)
            let xs = slabs.values.map(\.0).sorted(), ys = slabs.values.map(\.1).sorted()
            x = xs[xs.count / 2]
            y = ys[ys.count / 2]
            contrast = slabs.values.map(\.2).reduce(0, +) / Double(slabs.count)
        }
    }

    /// Per-slice centroids around the track, a robust line through them, and
    /// the run of slices where the rod is present (ends trimmed inside the scan).
    static func refine(_ v: Volume, track: Track, name: String, radius: Double, slabs: [ClosedRange<Int>],
                       settings: RodSearchSettings) -> LocatedRod {
        let g = v.geometry
        // Slices covered by the slabs where the track was seen, extended to contiguous presence below.
        var zs: [Double] = [], xs: [Double] = [], ys: [Double] = [], ks: [Int] = []
        let seen = Set(track.slabs.keys.flatMap { Array(slabs[$0]) })
        // A faint rod's per-slice centroids are pulled by noise: keep its position
        // from the slab detections (sub-pixel box-filter peaks) instead.
        let faint = abs(track.contrast) < 40
        for k in seen.sorted() where !faint {
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            guard let c = centroid(v, slice: k, x: track.x, y: track.y, radius: radius, bright: track.contrast > 0) else { continue }
            zs.append(z); xs.append(c.0); ys.append(c.1); ks.append(k)
        }
        let zRef = zs.isEmpty ? 0 : zs.reduce(0, +) / Double(zs.count)
        var keep = Array(zs.indices)
        var fitX = (a: track.x, b: 0.0), fitY = (a: track.y, b: 0.0)
        for _ in 0..<3 where keep.count >= 2 {
            fitX = lineFit(keep.map { zs[$0] - zRef }, keep.map { xs[$0] })
            fitY = lineFit(keep.map { zs[$0] - zRef }, keep.map { ys[$0] })
            let res = keep.map { hypot(xs[$0] - (fitX.a + fitX.b * (zs[$0] - zRef)), ys[$0] - (fitY.a + fitY.b * (zs[$0] - zRef))) }
            let mad = res.sorted()[res.count / 2]
            let limit = max(3 * 1.4826 * mad, 0.5 * g.columnSpacing, 0.3)
            let next = zip(keep, res).filter { $0.1 <= limit }.map(\.0)
            if next.count == keep.count || next.count < 2 { break }
            keep = next
        }
        if faint {
            let (x, y) = diskRefine(v, x: track.x, y: track.y, radius: radius, bright: track.contrast > 0, slices: seen)
            fitX = (x, 0)
            fitY = (y, 0)
        }
        var rod = LocatedRod(templateName: name, radiusMM: radius, x0: fitX.a, y0: fitY.a, bx: fitX.b, by: fitY.b,
                             zRef: zRef, slices: 0...0, detected: true)
        rod.faint = faint
        // Presence: contiguous slices around the middle whose inside differs from the ring like the track does.
        // Per slice on the line: mean inside 0.6 radii and of the 1.3–1.8 radii ring.
        let profile = (0..<g.slices).map { k -> (inside: Double, ring: Double) in
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            let (cx, cy) = rod.center(z: z)
            let ci = (cx - g.origin.x) / g.columnSpacing, cj = (cy - g.origin.y) / g.rowSpacing
            let r = radius / g.columnSpacing
            return (ringMean(v, slice: k, i: ci, j: cj, inner: 0, outer: 0.6 * r),
                    ringMean(v, slice: k, i: ci, j: cj, inner: 1.3 * r, outer: 1.8 * r))
        }
        let contrasts = profile.map { $0.inside - $0.ring }
        let typical = track.contrast
        // Smooth over a slab so a weak rod's noise does not cut its run short.
        let half = max(0, slabs.first.map { ($0.count - 1) / 2 } ?? 0)
        let smoothed = contrasts.indices.map { k -> Double in
            let lo = max(0, k - half), hi = min(contrasts.count - 1, k + half)
            return contrasts[lo...hi].reduce(0, +) / Double(hi - lo + 1)
        }
        let present = smoothed.map { ($0 > 0) == (typical > 0) && abs($0) > 0.5 * abs(typical) }
        let mid = ks.isEmpty ? g.slices / 2 : ks[ks.count / 2]
        var lo = mid, hi = mid
        while lo > 0, present[lo - 1] { lo -= 1 }
        while hi < g.slices - 1, present[hi + 1] { hi += 1 }
        // Slices that cut a rod end (or a phantom end at the edge of the scan)
        // show less contrast: keep the plateau (≥ 85 % of the run's median
        // contrast) when the contrast stands clear of the noise.
        let runContrast = smoothed[lo...hi].map { abs($0) }.sorted()
        let median = runContrast[runContrast.count / 2]
        if median > 30 {
            while lo < hi, abs(smoothed[lo]) < 0.85 * median { lo += 1 }
            while hi > lo, abs(smoothed[hi]) < 0.85 * median { hi -= 1 }
        }
        // A slice that reaches past the phantom's end mixes in air: the
        // background around the rod drops although the contrast holds.
        let backgrounds = profile.map(\.ring)
        let runBackground = backgrounds[lo...hi].sorted()
        let bgMedian = runBackground[runBackground.count / 2]
        let bgSpread = 1.4826 * (backgrounds[lo...hi].map { abs($0 - bgMedian) }.sorted()[(hi - lo) / 2])
        let bgLimit = max(15, 4 * bgSpread)
        while lo < hi, abs(backgrounds[lo] - bgMedian) > bgLimit { lo += 1 }
        while hi > lo, abs(backgrounds[hi] - bgMedian) > bgLimit { hi -= 1 }
        // Trim rod ends inside the scan, but keep at least the middle third of the run.
        let run = Double(hi - lo + 1)
        let trim = Int(min(settings.trimEndsMM / max(g.sliceSpacing, 1e-6), run / 3).rounded(.down))
        if lo > 0 { lo += trim }
        if hi < g.slices - 1 { hi -= trim }
        if hi < lo { lo = mid; hi = mid }
        rod.slices = lo...hi
        // Refit the line on the kept slices only (end slices can drag it).
        let inRange = keep.filter { rod.slices.contains(ks[$0]) }
        if !faint, inRange.count >= 3 {
            let fx = lineFit(inRange.map { zs[$0] - zRef }, inRange.map { xs[$0] })
            let fy = lineFit(inRange.map { zs[$0] - zRef }, inRange.map { ys[$0] })
            rod.x0 = fx.a; rod.bx = fx.b
            rod.y0 = fy.a; rod.by = fy.b
        }
        return rod
    }

    /// Best disk position within ±3 mm (0.25 mm steps): maximises the contrast
    /// between the rod disk (radius − ½ pixel) and a ring just outside it, on
    /// the mean of the rod's slices. Uses every pixel of a faint rod's edge.
    static func diskRefine(_ v: Volume, x: Double, y: Double, radius: Double, bright: Bool, slices: Set<Int>) -> (Double, Double) {
        let g = v.geometry
        let ks = slices.isEmpty ? Array(0..<g.slices) : slices.sorted()
        let reach = radius + 5
        let i0 = max(0, Int((x - reach - g.origin.x) / g.columnSpacing)), i1 = min(g.columns - 1, Int((x + reach - g.origin.x) / g.columnSpacing) + 1)
        let j0 = max(0, Int((y - reach - g.origin.y) / g.rowSpacing)), j1 = min(g.rows - 1, Int((y + reach - g.origin.y) / g.rowSpacing) + 1)
        guard i1 > i0, j1 > j0 else { return (x, y) }
        let w = i1 - i0 + 1
        var mean = [Double](repeating: 0, count: w * (j1 - j0 + 1))
        for k in ks {
            for j in j0...j1 { for i in i0...i1 { mean[(j - j0) * w + (i - i0)] += v.hu(column: i, row: j, slice: k) } }
        }
        let inner = radius - 0.5 * g.columnSpacing, outer0 = radius + g.columnSpacing, outer1 = radius + 3 * g.columnSpacing
        var best = (x, y), bestScore = -Double.infinity
        for dy in stride(from: -3.0, through: 3.0, by: 0.25) {
            for dx in stride(from: -3.0, through: 3.0, by: 0.25) {
                let cx = x + dx, cy = y + dy
                var si = 0.0, ni = 0.0, so = 0.0, no = 0.0
                for j in j0...j1 {
                    let py = g.origin.y + Double(j) * g.rowSpacing - cy
                    for i in i0...i1 {
                        let px = g.origin.x + Double(i) * g.columnSpacing - cx
                        let d = (px * px + py * py).squareRoot()
                        if d <= inner { si += mean[(j - j0) * w + (i - i0)]; ni += 1 }
                        else if d >= outer0, d <= outer1 { so += mean[(j - j0) * w + (i - i0)]; no += 1 }
                    }
                }
                guard ni > 0, no > 0 else { continue }
                let score = (bright ? 1 : -1) * (si / ni - so / no)
                if score > bestScore { bestScore = score; best = (cx, cy) }
            }
        }
        return best
    }

    /// Weighted centroid of |HU − background| within 1.4 radii (patient mm).
    static func centroid(_ v: Volume, slice k: Int, x: Double, y: Double, radius: Double, bright: Bool) -> (Double, Double)? {
        let g = v.geometry
        let ci = (x - g.origin.x) / g.columnSpacing, cj = (y - g.origin.y) / g.rowSpacing
        let rp = 1.4 * radius / g.columnSpacing
        let bg = ringMean(v, slice: k, i: ci, j: cj, inner: 1.4 * radius / g.columnSpacing, outer: 1.9 * radius / g.columnSpacing)
        var sw = 0.0, sx = 0.0, sy = 0.0
        for j in Int(cj - rp)...Int(cj + rp) {
            for i in Int(ci - rp)...Int(ci + rp) where i >= 0 && j >= 0 && i < g.columns && j < g.rows {
                let di = Double(i) - ci, dj = Double(j) - cj
                guard di * di + dj * dj <= rp * rp else { continue }
                let w = max(0, (bright ? 1 : -1) * (v.hu(column: i, row: j, slice: k) - bg))
                sw += w; sx += w * Double(i); sy += w * Double(j)
            }
        }
        guard sw > 0 else { return nil }
        return (g.origin.x + sx / sw * g.columnSpacing, g.origin.y + sy / sw * g.rowSpacing)
    }

    static func ringMean(_ v: Volume, slice k: Int, i ci: Double, j cj: Double, inner: Double, outer: Double) -> Double {
        let g = v.geometry
        var s = 0.0, n = 0.0
        for j in Int(cj - outer)...Int(cj + outer) {
            for i in Int(ci - outer)...Int(ci + outer) where i >= 0 && j >= 0 && i < g.columns && j < g.rows {
                let d2 = (Double(i) - ci) * (Double(i) - ci) + (Double(j) - cj) * (Double(j) - cj)
                guard d2 >= inner * inner, d2 <= outer * outer else { continue }
                s += v.hu(column: i, row: j, slice: k)
                n += 1
            }
        }
        return n > 0 ? s / n : 0
    }

    static func lineFit(_ x: [Double], _ y: [Double]) -> (a: Double, b: Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for i in x.indices { sxx += (x[i] - mx) * (x[i] - mx); sxy += (x[i] - mx) * (y[i] - my) }
        let b = sxx > 0 ? sxy / sxx : 0
        return (my - b * mx, b)
    }
}

func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
