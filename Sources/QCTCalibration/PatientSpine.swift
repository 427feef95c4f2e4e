import Dispatch
import Foundation
import QCTCore
import QCTPhantoms

/// A lumbar or thoracic vertebra found in a patient's scan, with its trabecular ROI reading.
public struct PatientVertebra: Codable, Sendable {
    /// T12, L1, … (nil when the spine could not be named: `PatientSpine.naming` says why).
    public var name: String?
    /// Patient z of the body's middle, mm, and the slices whose shell encloses the interior.
    public var zMM: Double
    public var ringSlices: [Int]
    /// The body's extent along the slices (between the discs), mm.
    public var heightMM: Double
    /// The body runs into the first or last slice.
    public var cutAtEdge: Bool
    /// Bone beside the body (left, right) in the rib windows, mm² (the most in one slice).
    public var ribAreaMM2: [Double]
    public var ribBearing: Bool
    /// The trabecular ROI: slices read, centre (patient, mm), area per slice, voxels, HU statistics.
    public var roiSlices: [Int]
    public var roiCenterMM: [Double]
    public var roiAreaMM2: Double
    public var voxels: Int
    public var meanHU: Double?
    public var medianHU: Double?
    public var sdHU: Double?
    public var homogeneity: Homogeneity?
    /// Why it has no reading; nil when it has one.
    public var missing: String?
}

/// The vertebrae of a patient (`PatientSpine.find`), superior first, and how they were named.
public struct PatientSpine: Sendable {
    public var vertebrae: [PatientVertebra]
    /// The naming rule as applied, or why the vertebrae are unnamed.
    public var naming: String
    /// Per vertebra, per ROI slice: the pixels read (for pictures).
    public var roiPixels: [[Int: [Int]]]
}

extension PatientSpine {
    /// Finds the vertebral bodies of a patient by what they are: in each slice, regions a cortical
    /// shell encloses (bone above one of `spine.boneThresholdsHU` all around, a body-sized and
    /// body-shaped interior); one column of them along z is the spine. Along that column, slices with
    /// bone at the centre (endplates) or no shell around it (discs) part one body from the next.
    /// The lowest (most inferior) body with bone in its rib windows is T12 (Docs/patient.md names
    /// the rule's failure modes); the bodies below are L1, L2, …, those above T11, T10, ….
    /// Each body's trabecular ROI is its enclosed interior eroded from the shell, over the
    /// mid-vertebral slab.
    public static func find(_ v: Volume, settings s: PatientPolicy.Spine) -> PatientSpine {
        let g = v.geometry
        guard g.slices > 0, g.columns >= 16, g.rows >= 16, let lowest = s.boneThresholdsHU.min() else {
            return PatientSpine(vertebrae: [], naming: "the image is too small to hold a spine", roiPixels: [])
        }
        let pixelArea = g.columnSpacing * g.rowSpacing
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        // 1. Enclosed interiors, slice by slice.
        let found = Locked<[[Interior]]>(Array(repeating: [], count: g.slices))
        DispatchQueue.concurrentPerform(iterations: g.slices) { k in
            let hu = sliceHU(v, k)
            var list: [Interior] = []
            for t in s.boneThresholdsHU.sorted() {
                let bone = BinaryImage(columns: g.columns, rows: g.rows, pixels: hu.map { $0 > t })
                let holes = BinaryImage(columns: g.columns, rows: g.rows, pixels: zip(bone.holesFilled().pixels, bone.pixels).map { $0 && !$1 })
                let (labels, blobs) = holes.labelled()
                let keep = blobs.indices.filter { n in
                    let area = blobs[n].area * pixelArea, e = blobs[n].ellipse
                    return area >= s.interiorAreaMM2[0] && area <= s.interiorAreaMM2[1] && e.b * ps >= 7 && e.a * ps <= 35 && e.a <= 2.5 * e.b
                }
                guard !keep.isEmpty else { continue }
                var pixels = [Int: [Int]]()
                for p in labels.indices where labels[p] >= 0 && keep.contains(Int(labels[p])) { pixels[Int(labels[p]), default: []].append(p) }
                for n in keep {
                    let c = blobs[n].centroid
                    let e = blobs[n].ellipse
                    let found = Interior(slice: k, i: c.i, j: c.j, areaMM2: blobs[n].area * pixelArea, semiMajorMM: e.a * ps, pixels: pixels[n] ?? [])
                    // One region under several thresholds: the largest is kept (under a threshold near the
                    // trabecular level, noisy interior pixels stand above it and cut the region up).
                    if let same = list.firstIndex(where: { hypot(($0.i - c.i) * g.columnSpacing, ($0.j - c.j) * g.rowSpacing) < 8 }) {
                        if list[same].areaMM2 < found.areaMM2 { list[same] = found }
                    } else {
                        list.append(found)
                    }
                }
            }
            found.withLock { $0[k] = list }
        }
        // 2. The spine: interiors that follow one another along z (within 8 mm plus a 15° tilt) form
        //    columns; the column enclosing the most area is the spine (the canal, also enclosed where
        //    the arch closes, is smaller and shorter).
        var columns: [[Interior]] = []
        // Slice by slice, larger regions first: a body's interior claims its column before a canal beside it.
        for f in found.current.flatMap({ $0.sorted { $0.areaMM2 > $1.areaMM2 } }) {
            let candidates = columns.indices.compactMap { c -> (Int, Double)? in
                guard let last = columns[c].last, last.slice < f.slice else { return nil }
                let dz = Double(f.slice - last.slice) * g.sliceSpacing
                let d = hypot((f.i - last.i) * g.columnSpacing, (f.j - last.j) * g.rowSpacing)
                return dz <= 45 && d <= 8 + 0.27 * dz ? (c, d) : nil
            }
            if let best = candidates.min(by: { $0.1 < $1.1 }) { columns[best.0].append(f) } else { columns.append([f]) }
        }
        guard let spine = columns.max(by: { $0.map(\.areaMM2).reduce(0, +) < $1.map(\.areaMM2).reduce(0, +) }), spine.count >= 1 else {
            return PatientSpine(vertebrae: [], naming: "no vertebral body found: no region enclosed by a cortical shell along the slices", roiPixels: [])
        }
        var member = [Int: Interior]()
        for f in spine where member[f.slice] == nil || member[f.slice]!.areaMM2 < f.areaMM2 { member[f.slice] = f }
        let memberSlices = member.keys.sorted()
        func center(_ k: Int) -> (i: Double, j: Double) {
            if let m = member[k] { return (m.i, m.j) }
            let below = memberSlices.last { $0 < k }, above = memberSlices.first { $0 > k }
            switch (below, above) {
            case let (b?, a?):
                let t = Double(k - b) / Double(a - b)
                return (member[b]!.i + t * (member[a]!.i - member[b]!.i), member[b]!.j + t * (member[a]!.j - member[b]!.j))
            case let (b?, nil): return (member[b]!.i, member[b]!.j)
            case let (nil, a?): return (member[a]!.i, member[a]!.j)
            default: return (Double(g.columns) / 2, Double(g.rows) / 2)
            }
        }
        // 3. Bodies: runs of slices between boundaries (bone at the centre, or no shell around it).
        let first = memberSlices.first!, last = memberSlices.last!
        let lo = max(0, first - Int((15 / g.sliceSpacing).rounded(.up))), hi = min(g.slices - 1, last + Int((15 / g.sliceSpacing).rounded(.up)))
        var groups: [[Int]] = []
        var current: [Int] = []
        for k in lo...hi {
            let boundary: Bool
            if member[k] != nil { boundary = false } else {
                let hu = sliceHU(v, k)
                let c = center(k)
                boundary = (VertebraLocator.discMean(v, slice: k, ci: c.i, cj: c.j, radiusMM: 4) ?? -1000) > lowest
                    || ringFraction(hu, g, c, threshold: lowest) < 0.6
            }
            if boundary {
                if !current.isEmpty { groups.append(current) }
                current = []
            } else {
                current.append(k)
            }
        }
        if !current.isEmpty { groups.append(current) }
        groups = groups.filter { $0.contains { member[$0] != nil } }

        // 4. Each body: ribs beside it, its ROI over the mid-vertebral slab.
        let posteriorSign = g.columnDirection.y >= 0 ? 1.0 : -1.0
        let lateralSign = g.rowDirection.x >= 0 ? 1.0 : -1.0
        var vertebrae: [PatientVertebra] = []
        var rois: [[Int: [Int]]] = []
        for group in groups {
            let rings = group.filter { member[$0] != nil }
            let mid = Double(rings.first! + rings.last!) / 2
            let c = center(Int(mid.rounded()))
            let z = g.position(column: c.i, row: c.j, slice: mid).z
            let cut = group.first! == 0 || group.last! == g.slices - 1
            let half = (rings.map { member[$0]!.semiMajorMM }.sorted()[rings.count / 2]) + 2
            // Ribs: bone either side, from half-width + window[0] to + window[1], level with the body's back half.
            var ribs = [0.0, 0.0]
            for k in rings {
                let hu = sliceHU(v, k)
                let m = member[k]!
                var area = [0.0, 0.0]
                let reach = half + s.ribWindowMM[1]
                let i0 = max(0, Int(m.i - reach / g.columnSpacing)), i1 = min(g.columns - 1, Int(m.i + reach / g.columnSpacing))
                let j0 = max(0, Int(m.j - 45 / g.rowSpacing)), j1 = min(g.rows - 1, Int(m.j + 45 / g.rowSpacing))
                for j in j0...j1 {
                    let back = (Double(j) - m.j) * g.rowSpacing * posteriorSign
                    guard back >= -15, back <= 45 else { continue }
                    for i in i0...i1 where hu[j * g.columns + i] > lowest {
                        let x = (Double(i) - m.i) * g.columnSpacing
                        let d = abs(x) - half
                        guard d >= s.ribWindowMM[0], d <= s.ribWindowMM[1] else { continue }
                        area[x * lateralSign >= 0 ? 0 : 1] += pixelArea
                    }
                }
                ribs = [max(ribs[0], area[0]), max(ribs[1], area[1])]
            }
            // The ROI: ring slices on the flat part of the body (an interior whose middle reads the body's
            // trabecular level; slices that take in an endplate read above it), wholly inside the slab around the middle.
            let cores = Dictionary(uniqueKeysWithValues: rings.map { k in (k, coreMedian(v, member[k]!, g)) })
            let middle = rings.sorted { abs(Double($0) - mid) < abs(Double($1) - mid) }.prefix(max(1, rings.count / 3)).compactMap { cores[$0] ?? nil }.sorted()
            let level = middle.isEmpty ? nil : middle[middle.count / 2]
            let flat = rings.filter { k in
                guard let level, let c = cores[k] ?? nil else { return true }
                return abs(c - level) <= max(10, 0.1 * abs(level))
            }
            let centreSlice = Int(mid.rounded())
            // The flat stretch holding the middle (a partial-volume slice ends it).
            var stretch: [Int] = []
            if let start = flat.min(by: { abs($0 - centreSlice) < abs($1 - centreSlice) }) {
                stretch = [start]
                var k = start - 1
                while flat.contains(k) { stretch.insert(k, at: 0); k -= 1 }
                k = start + 1
                while flat.contains(k) { stretch.append(k); k += 1 }
            }
            let flatMid = stretch.isEmpty ? mid : Double(stretch.first! + stretch.last!) / 2
            var slab = stretch.filter { abs(Double($0) - flatMid) * g.sliceSpacing + g.sliceSpacing / 2 <= s.slabMM / 2 + 1e-9 }
            if slab.isEmpty { slab = [stretch.isEmpty ? rings[rings.count / 2] : stretch[stretch.count / 2]] }
            var values: [Double] = []
            var pixels = [Int: [Int]]()
            var areas: [Double] = []
            for k in slab {
                let roi = eroded(halfHeightInterior(sliceHU(v, k), member[k]!, g), g, radiusMM: s.erosionMM)
                guard !roi.isEmpty else { continue }
                pixels[k] = roi
                areas.append(Double(roi.count) * pixelArea)
                for p in roi {
                    let index = k * g.voxelsPerSlice + p
                    if !v.isPadding(at: index) { values.append(v.hu(at: index)) }
                }
            }
            var vertebra = PatientVertebra(name: nil, zMM: z, ringSlices: rings, heightMM: Double(group.count) * g.sliceSpacing, cutAtEdge: cut,
                                           ribAreaMM2: ribs, ribBearing: ribs.max()! >= s.ribAreaMM2, roiSlices: pixels.keys.sorted(),
                                           roiCenterMM: [], roiAreaMM2: areas.isEmpty ? 0 : areas.sorted()[areas.count / 2], voxels: 0)
            let p = g.position(column: c.i, row: c.j, slice: mid)
            vertebra.roiCenterMM = [p.x, p.y, p.z]
            if values.count >= 10 {
                var sorted = values
                let stats = ROIStatistics(&sorted)
                vertebra.voxels = stats.count
                (vertebra.meanHU, vertebra.medianHU, vertebra.sdHU) = (stats.mean, stats.median, stats.sd)
                vertebra.homogeneity = Homogeneity.judge(values: values, stats: stats, settings: VertebraSearchSettings())
            } else {
                vertebra.missing = "the trabecular interior is too small to read after \(Int(s.erosionMM)) mm erosion"
            }
            if cut {
                vertebra.missing = vertebra.missing ?? "cut off at the scan edge: its mid-vertebral slab is not known"
                vertebra.meanHU = nil
                vertebra.medianHU = nil
                vertebra.sdHU = nil
            }
            vertebrae.append(vertebra)
            rois.append(pixels)
        }
        // Superior first.
        let order = vertebrae.indices.sorted { vertebrae[$0].zMM > vertebrae[$1].zMM }
        vertebrae = order.map { vertebrae[$0] }
        rois = order.map { rois[$0] }
        let naming = name(&vertebrae)
        return PatientSpine(vertebrae: vertebrae, naming: naming, roiPixels: rois)
    }

    /// Names the bodies (superior first) from the lowest rib-bearing one, T12; returns the rule as applied.
    static func name(_ vertebrae: inout [PatientVertebra]) -> String {
        guard let t12 = vertebrae.lastIndex(where: \.ribBearing) else {
            return "not named: no body in the scan bears ribs, so T12 (the lowest rib-bearing vertebra) cannot be found"
        }
        // Bodies farther apart than 1.6 × the usual pitch have one missed between them: names stop there.
        let pitches = zip(vertebrae, vertebrae.dropFirst()).map { $0.zMM - $1.zMM }
        let pitch = pitches.isEmpty ? 0 : pitches.sorted()[pitches.count / 2]
        var stop = (lower: vertebrae.count, upper: -1)
        for (n, p) in pitches.enumerated() where pitch > 0 && p > 1.6 * pitch {
            if n >= t12 { stop.lower = min(stop.lower, n + 1) } else { stop.upper = max(stop.upper, n) }
        }
        for n in vertebrae.indices where n > stop.upper && n < stop.lower {
            let offset = n - t12
            vertebrae[n].name = offset == 0 ? "T12" : offset > 0 ? "L\(offset)" : "T\(12 + offset)"
        }
        var text = "T12 is the lowest rib-bearing vertebra (z \(String(format: "%.1f", vertebrae[t12].zMM)) mm); those below are L1, L2, … in order"
        if stop.lower < vertebrae.count || stop.upper >= 0 {
            text += "; names stop where two bodies lie more than 1.6 × the usual \(String(format: "%.1f", pitch)) mm apart (a vertebra not found between them)"
        }
        return text
    }

    /// The interior bounded where the shell rises half-way from the trabecular core to its peak
    /// (domain reference §4: well inside the cortical shell, whatever the beam makes of either):
    /// the core is the region's middle, the peak the 90th percentile of a 3 mm band around it.
    static func halfHeightInterior(_ hu: [Double], _ region: Interior, _ g: VolumeGeometry) -> [Int] {
        let pixels = region.pixels
        let xs = pixels.map { $0 % g.columns }, ys = pixels.map { $0 / g.columns }
        let pad = Int((6 / min(g.columnSpacing, g.rowSpacing)).rounded(.up))
        let x0 = max(0, xs.min()! - pad), y0 = max(0, ys.min()! - pad)
        let x1 = min(g.columns - 1, xs.max()! + pad), y1 = min(g.rows - 1, ys.max()! + pad)
        let w = x1 - x0 + 1, h = y1 - y0 + 1
        var mask = [Bool](repeating: false, count: w * h)
        for (x, y) in zip(xs, ys) { mask[(y - y0) * w + (x - x0)] = true }
        let inside = BinaryImage(columns: w, rows: h, pixels: mask)
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let core = inside.eroded(radius: 0.6 * region.semiMajorMM * 0.7 / ps)
        let band = inside.dilated(radius: 3 / ps)
        var coreValues: [Double] = [], ring: [Double] = []
        for y in 0..<h {
            for x in 0..<w {
                let v = hu[(y + y0) * g.columns + x + x0], q = y * w + x
                if core.pixels[q] { coreValues.append(v) } else if band.pixels[q] && !mask[q] { ring.append(v) }
            }
        }
        guard coreValues.count >= 5, ring.count >= 10 else { return pixels }
        coreValues.sort()
        ring.sort()
        let coreHU = coreValues[coreValues.count / 2], peak = ring[Int(Double(ring.count - 1) * 0.9)]
        guard peak > coreHU else { return pixels }
        let level = coreHU + 0.5 * (peak - coreHU)
        // The region below the level, enclosed, that holds the core.
        var below = [Bool](repeating: false, count: w * h)
        for y in 0..<h { for x in 0..<w { below[y * w + x] = hu[(y + y0) * g.columns + x + x0] < level } }
        let (labels, _) = BinaryImage(columns: w, rows: h, pixels: below).labelled()
        var votes: [Int32: Int] = [:]
        for q in labels.indices where core.pixels[q] && labels[q] >= 0 { votes[labels[q], default: 0] += 1 }
        guard let keep = votes.max(by: { $0.value < $1.value })?.key else { return pixels }
        var region = [Bool](repeating: false, count: w * h)
        for q in labels.indices where labels[q] == keep {
            let x = q % w, y = q / w
            // A label touching the window's edge has leaked out of the shell: keep the region as found.
            if x == 0 || y == 0 || x == w - 1 || y == h - 1 { return pixels }
            region[q] = true
        }
        // A gap in a thin shell lets the region run on into the canal behind it through a narrow
        // neck: opened by a 2 mm disc, only the part holding the core is kept.
        let opened = BinaryImage(columns: w, rows: h, pixels: region).eroded(radius: 2 / ps)
        let (parts, _) = opened.labelled()
        var coreVotes: [Int32: Int] = [:]
        for q in parts.indices where parts[q] >= 0 && core.pixels[q] { coreVotes[parts[q], default: 0] += 1 }
        guard let body = coreVotes.max(by: { $0.value < $1.value })?.key else { return pixels }
        let grown = BinaryImage(columns: w, rows: h, pixels: parts.map { $0 == body }).dilated(radius: 2 / ps)
        var out: [Int] = []
        for q in region.indices where region[q] && grown.pixels[q] { out.append((q / w + y0) * g.columns + q % w + x0) }
        return out
    }

    /// Median HU of the middle of an interior (eroded to 40 % of its size), nil when too small.
    static func coreMedian(_ v: Volume, _ region: Interior, _ g: VolumeGeometry) -> Double? {
        let ci = region.i, cj = region.j
        let radius = 0.4 * sqrt(region.areaMM2 / Double.pi)
        var values: [Double] = []
        for p in region.pixels {
            let dx = (Double(p % g.columns) - ci) * g.columnSpacing, dy = (Double(p / g.columns) - cj) * g.rowSpacing
            if dx * dx + dy * dy <= radius * radius, !v.isPadding(at: region.slice * g.voxelsPerSlice + p) {
                values.append(v.hu(at: region.slice * g.voxelsPerSlice + p))
            }
        }
        guard values.count >= 5 else { return nil }
        values.sort()
        return values[values.count / 2]
    }

    /// One slice's HU (padding as −1000).
    static func sliceHU(_ v: Volume, _ k: Int) -> [Double] {
        let n = v.geometry.voxelsPerSlice
        return (0..<n).map { p in v.isPadding(at: k * n + p) ? -1000 : v.hu(at: k * n + p) }
    }

    /// The share of 72 rays from `c` (out to 45 mm) that meet bone above `threshold`: a shell around the centre.
    static func ringFraction(_ hu: [Double], _ g: VolumeGeometry, _ c: (i: Double, j: Double), threshold: Double) -> Double {
        var hits = 0
        for ray in 0..<72 {
            let t = Double(ray) * Double.pi / 36
            for step in 1...90 {
                let r = Double(step) * 0.5
                let i = Int((c.i + cos(t) * r / g.columnSpacing).rounded()), j = Int((c.j + sin(t) * r / g.rowSpacing).rounded())
                guard i >= 0, i < g.columns, j >= 0, j < g.rows else { break }
                if hu[j * g.columns + i] > threshold { hits += 1; break }
            }
        }
        return Double(hits) / 72
    }

    /// `pixels` (indices in one slice) eroded by a disc of `radiusMM`.
    static func eroded(_ pixels: [Int], _ g: VolumeGeometry, radiusMM: Double) -> [Int] {
        guard !pixels.isEmpty else { return [] }
        let xs = pixels.map { $0 % g.columns }, ys = pixels.map { $0 / g.columns }
        let x0 = xs.min()! - 2, y0 = ys.min()! - 2
        let w = xs.max()! - x0 + 3, h = ys.max()! - y0 + 3
        var mask = [Bool](repeating: false, count: w * h)
        for (x, y) in zip(xs, ys) { mask[(y - y0) * w + (x - x0)] = true }
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        let e = BinaryImage(columns: w, rows: h, pixels: mask).eroded(radius: radiusMM / ps)
        return e.pixels.indices.filter { e.pixels[$0] }.map { (($0 / w) + y0) * g.columns + ($0 % w) + x0 }
    }
}

/// A region a cortical shell encloses in one slice.
struct Interior: Sendable {
    var slice: Int
    var i: Double, j: Double
    var areaMM2: Double
    var semiMajorMM: Double
    var pixels: [Int]
}

extension PatientSpine {
    /// The ellipse with the second moments of `pixels` (indices in one slice): centre (patient x, y, mm),
    /// semi-axes (mm) and major-axis angle from the image rows (degrees), for drawing an ROI.
    public static func ellipse(of pixels: [Int], slice k: Int, geometry g: VolumeGeometry) -> (center: (Double, Double), semiAxes: (Double, Double), angle: Double)? {
        guard !pixels.isEmpty else { return nil }
        var blob = Blob()
        for p in pixels { blob.add(i: Double(p % g.columns), j: Double(p / g.columns)) }
        let c = blob.centroid, e = blob.ellipse
        let position = g.position(column: c.i, row: c.j, slice: Double(k))
        let ps = (g.columnSpacing + g.rowSpacing) / 2
        return ((position.x, position.y), (max(e.a * ps, 0.5), max(e.b * ps, 0.5)), e.angle * 180 / .pi)
    }

    /// The pixel of `pixels` nearest their centroid (a point inside a curved band), as patient x, y, mm.
    public static func representative(of pixels: [Int], slice k: Int, geometry g: VolumeGeometry) -> (Double, Double)? {
        guard !pixels.isEmpty else { return nil }
        let ci = pixels.map { Double($0 % g.columns) }.reduce(0, +) / Double(pixels.count)
        let cj = pixels.map { Double($0 / g.columns) }.reduce(0, +) / Double(pixels.count)
        let p = pixels.min { hypot(Double($0 % g.columns) - ci, Double($0 / g.columns) - cj) < hypot(Double($1 % g.columns) - ci, Double($1 / g.columns) - cj) }!
        let position = g.position(column: Double(p % g.columns), row: Double(p / g.columns), slice: Double(k))
        return (position.x, position.y)
    }
}
