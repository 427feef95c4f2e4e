import Foundation
import QCTCore
import QCTPhantoms
import QCTStatistics

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
    /// Certified at 0 in the body's own material: no image can show it, placed from the others.
    public var invisible = false

    public func center(z: Double) -> (Double, Double) { (x0 + bx * (z - zRef), y0 + by * (z - zRef)) }
}

/// Why rods could not be found.
public struct CalibrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// What rod finding found: the rods named from the certificate, or the reason none was.
public struct RodSearch: Sendable {
    public var rods: [LocatedRod]
    /// How each rod was identified, by rod name.
    public var identifiedBy: [String: String]
    /// Slices holding the phantom (the module, for a series of several), 0-based.
    public var slices: ClosedRange<Int>?
    /// Why no phantom was found (rods is empty then).
    public var notFound: String?
}

/// Finds a phantom's rods with no position prior (domain reference §2:
/// real pads differ from any template): round, z-persistent regions of
/// uniform HU found by multi-scale box contrast and verified by their edge
/// (`RodShape`), followed along z, grouped by the layout's relations
/// (`RodGrouping`), identified from the certificate (`RodIdentifier`), then a
/// line fitted through each rod's centre in every slice. The template is
/// used only to place a rod no image can show (the body's own material).
public enum RodLocator {
    public static func locate(_ v: Volume, phantom: PhantomDefinition, certificate: Certificate?,
                              settings: RodSearchSettings = RodSearchSettings()) -> RodSearch {
        let first = locate(v, phantom: phantom, certificate: certificate, settings: settings, slabMM: settings.slabMM)
        // Faint rods that are short along z (inserts of 10–20 mm) stand out better on slabs as long as the
        // shortest rod: looked for once more there when the first pass left a rod unseen.
        let longer = phantom.effectiveLayout.minLengthMM
        let unseen = first.rods.isEmpty || first.rods.contains { !$0.detected && !$0.invisible }
        guard unseen, longer >= 1.5 * settings.slabMM, v.geometry.sliceSpacing < longer / 2 else { return first }
        let second = locate(v, phantom: phantom, certificate: certificate, settings: settings, slabMM: longer)
        let seen = { (r: RodSearch) in r.rods.filter { $0.detected || $0.invisible }.count }
        return seen(second) > seen(first) ? second : first
    }

    static func locate(_ v: Volume, phantom: PhantomDefinition, certificate: Certificate?,
                       settings: RodSearchSettings, slabMM requestedSlabMM: Double) -> RodSearch {
        let g = v.geometry
        let layout = phantom.effectiveLayout
        let identifier = RodIdentifier(phantom: phantom, certificate: certificate)
        let template = identifier.inserts
        guard !template.isEmpty else { return RodSearch(rods: [], identifiedBy: [:], slices: nil, notFound: "phantom \(phantom.id) has no rods") }
        let ps = min(g.columnSpacing, g.rowSpacing)
        // 1. Slab images, binned while the smallest rod still spans ≥ 3 binned pixels.
        let slabs = SlabImage.ranges(g, thicknessMM: requestedSlabMM)
        let slabMM = Double(slabs.first?.count ?? 1) * g.sliceSpacing
        let bin = max(1, Int(layout.radiusRange.lowerBound / ps / 3))
        let pixelMM = ps * Double(bin)
        // Each slab image is made, used and dropped by one worker, twice: once for its noise (the
        // median over slabs sets the candidate threshold), once for its candidates. No slab image
        // outlives its pass, so the search holds two at a time, not one per slab.
        var noiseList = [Double](repeating: 1, count: slabs.count)
        noiseList.withUnsafeMutableBufferPointer { buffer in
            let out = SharedBuffer(buffer)
            // Whole-HU storage alone leaves ±0.5 HU: a noise-free image is judged as if it had 1 HU of noise.
            DispatchQueue.concurrentPerform(iterations: slabs.count) { out.buffer[$0] = max(1, SlabImage(volume: v, slices: slabs[$0], bin: bin).noiseSD()) }
        }
        let noises = noiseList
        let noise = noises.sorted()[noises.count / 2]
        // 2. Candidates in every slab, verified by shape.
        let radiusPx = (layout.radiusRange.lowerBound / pixelMM)...(layout.radiusRange.upperBound / pixelMM)
        // Slabs in parallel; sightings kept in slab order.
        var perSlab = [[RodTrack.Sighting]](repeating: [], count: slabs.count)
        perSlab.withUnsafeMutableBufferPointer { out in
            let shared = SharedBuffer(out)
            DispatchQueue.concurrentPerform(iterations: slabs.count) { s in
                let image = SlabImage(volume: v, slices: slabs[s], bin: bin)
                var seen: [RodTrack.Sighting] = []
                for c in RodCandidateFinder.find(image, radiusPixels: radiusPx, noise: noise) {
                    guard let shape = RodShape.measure(image, i: c.i, j: c.j, scale: c.scale, noise: noises[s]),
                          isRod(shape, noise: noises[s], radiusPx: radiusPx) else { continue }
                    let p = patient(g, image: (shape.i, shape.j), bin: bin, slab: slabs[s])
                    seen.append(.init(slab: s, x: p.x, y: p.y, radiusMM: shape.radius * pixelMM, insideHU: shape.insideHU,
                                      contrast: shape.contrast))
                }
                shared.buffer[s] = seen
            }
        }
        let points = SlabPoints(volume: v, slabs: slabs, bin: bin)
        let sightings = perSlab.flatMap { $0 }

        // 3. Tracks along z: a rod is seen in two slabs unless a slab is already half as long as the shortest rod.
        let needed = min(slabs.count, slabMM >= layout.minLengthMM / 2 ? 1 : 2)
        var tracks = RodTrack.build(sightings).filter { $0.slabs.count >= needed }
        let keep = 60
        if tracks.count > keep {
            func strength(_ t: RodTrack) -> Double { Double(min(t.slabs.count, 4)) * abs(t.contrast) }
            tracks = Array(tracks.sorted { strength($0) > strength($1) }.prefix(keep))
        }
        // 4. Sets in the layout's relations, identified from the certificate.
        let visible = identifier.visible.count
        // A pad at high keV shows rod B only a few HU from the resin: with five rods, two may be left to the faint search.
        let allowMissing = visible >= 5 ? 2 : visible >= 4 ? 1 : 0
        let sizes = Array(stride(from: visible, through: max(1, visible - allowMissing), by: -1))
        let grouping = RodGrouping(
            layout: layout, points: tracks.map { ($0.x, $0.y, $0.radiusMM) },
            together: { tracks[$0].overlaps(tracks[$1]) },
            inOneBody: { a, b in
                let common = max(tracks[a].firstSlab, tracks[b].firstSlab)...min(tracks[a].lastSlab, tracks[b].lastSlab)
                return body(points: points, slabs: common, geometry: g, bin: bin,
                            from: (tracks[a].x, tracks[a].y, tracks[a].radiusMM), to: (tracks[b].x, tracks[b].y, tracks[b].radiusMM))
            },
            inBodyAt: { x, y in
                let q = pixel(g, x: x, y: y, bin: bin)
                let values = slabs.indices.compactMap { points.bilinear(slab: $0, q.0, q.1) }
                return !values.isEmpty && median(values) > -400
            })
        let subsets = grouping.subsets(sizes: sizes)
        let (assignment, closest) = identifier.best(subsets: subsets, hu: { tracks[$0].insideHU }, median: { tracks[$0].insideHU },
                                                    position: { (tracks[$0].x, tracks[$0].y) })
        guard let assignment else {
            let shape = layout.arrangement == .line ? "on one line" : layout.arrangement == .ring ? "on one ring" : "together"
            var why = "no \(phantom.name) found: no set of \(visible) round rods (diameter \(fmt(layout.rodDiameterMM[0]))–\(fmt(layout.rodDiameterMM[1])) mm) \(shape) in one body fits the certificate"
            why += " (\(tracks.count) round candidates, \(subsets.count) sets in the layout's relations"
            if let c = closest { why += "; closest: " + c.checks.filter { $0.status == .fail }.map { "\($0.name) \($0.detail)" }.joined(separator: "; ") }
            return RodSearch(rods: [], identifiedBy: [:], slices: nil, notFound: why + ")")
        }
        // 5. Lines through per-slice centres for the rods found. ROIs are built on the radius the
        // strong rods show (the model's radius is a template's, not this phantom's).
        var rods: [LocatedRod?] = template.map { _ in nil }
        var how = assignment.how
        let strong = assignment.tracks.values.filter { abs(tracks[$0].contrast) >= 40 }
        let seenRadius = median((strong.isEmpty ? Array(assignment.tracks.values) : strong).map { tracks[$0].radiusMM })
        for (ci, t) in assignment.tracks {
            // A phantom built as its model (CatPhan plugs) keeps the model's radius; a varied one, what it shows.
            let model = template[ci].shape.halfExtents.0
            let radius = roiBasis(seen: tracks[t].radiusMM, drawn: abs(seenRadius - model) <= 0.05 * model ? model : seenRadius)
            rods[ci] = refine(v, track: tracks[t], name: template[ci].name, radius: radius, slabs: slabs, settings: settings)
        }
        // 6. A rod not seen: on a line layout, looked for along the line through the rods found; otherwise
        // placed where the found rods put the template (similarity fit) and looked for there once more.
        let found = rods.indices.filter { rods[$0] != nil }
        if found.count < template.count {
            let transform = Similarity.fit(template: found.map { (template[$0].shape.center[0], template[$0].shape.center[1]) },
                                           found: found.map { (rods[$0]!.x0, rods[$0]!.y0) })
            let clear = found.map { rods[$0]! }
            let lo = clear.map(\.slices.lowerBound).sorted()[clear.count / 2]
            let hi = clear.map(\.slices.upperBound).sorted()[clear.count / 2]
            let radius = median(clear.map(\.radiusMM))
            let fit = assignment.judgement.fit
            var onLine: [Int: (Double, Double)] = [:]
            if layout.arrangement == .line, clear.count >= 2 {
                let wanted = template.indices.filter { rods[$0] == nil && identifier.visible.contains($0) }.compactMap { ci in
                    predictedHU(fit, nominal: identifier.nominal[ci], phantom: phantom).map { (index: ci, hu: $0) }
                }
                onLine = alongLine(v, found: clear.map { ($0.x0, $0.y0) }, radius: seenRadius, slices: lo...max(lo, hi),
                                   missing: wanted, fitSEE: assignment.judgement.seeHU, layout: layout)
            }
            for ci in template.indices where rods[ci] == nil {
                let p = transform.map { $0.apply(template[ci].shape.center[0], template[ci].shape.center[1]) }
                    ?? (clear[0].x0, clear[0].y0)
                var rod = LocatedRod(templateName: template[ci].name, radiusMM: radius, x0: p.0, y0: p.1, bx: 0, by: 0, zRef: 0,
                                     slices: lo...max(lo, hi), detected: false)
                if let hit = onLine[ci] {
                    rod.x0 = hit.0
                    rod.y0 = hit.1
                    rod.detected = true
                    rod.faint = true
                    how[ci] = "faint: found on the line through the other rods, reading what their fit predicts for its certified values"
                } else if identifier.visible.contains(ci), layout.arrangement != .line,
                   let faint = faintRod(v, near: p, radius: radius, slices: rod.slices, tolerance: layout.toleranceMM + radius,
                                        expectedHU: predictedHU(fit, nominal: identifier.nominal[ci], phantom: phantom)) {
                    rod.x0 = faint.0
                    rod.y0 = faint.1
                    rod.detected = true
                    rod.faint = true
                    how[ci] = "faint: found near where the other rods place it, then by the certificate's order"
                } else {
                    rod.invisible = !identifier.visible.contains(ci)
                    how[ci] = identifier.visible.contains(ci) ? "not found: placed where the other rods' layout puts it"
                        : "the body's own material: placed where the other rods' layout puts it"
                }
                rods[ci] = rod
            }
        }
        var out = rods.map { $0! }
        // CT-number plugs sit in a thin module: like the phantom's manual (and
        // pylinac), read them on the module's central slice, where no
        // neighbouring module blurs in along z.
        for (i, insert) in template.enumerated() where insert.role == .plug {
            let c = (out[i].slices.lowerBound + out[i].slices.upperBound) / 2
            out[i].slices = c...c
        }
        let lo = out.map(\.slices.lowerBound).min() ?? 0, hi = out.map(\.slices.upperBound).max() ?? 0
        var named: [String: String] = [:]
        for (ci, insert) in template.enumerated() { named[insert.name] = how[ci] }
        return RodSearch(rods: out, identifiedBy: named, slices: lo...hi, notFound: nil)
    }

    /// A verified shape is a rod: round, radius in range, uniform inside, in a uniform surround.
    static func isRod(_ s: RodShape, noise: Double, radiusPx: ClosedRange<Double>, minimumContrast: Double = 6,
                      elongation: Double = 1.35) -> Bool {
        let c = abs(s.contrast)
        return s.elongation <= elongation
            && s.radius >= 0.8 * radiusPx.lowerBound && s.radius <= 1.2 * radiusPx.upperBound
            && c >= minimumContrast
            && s.insideSD <= max(4 * noise, 0.25 * c)
            && s.surroundSpread <= 0.4 * c + 3 * noise
    }

    /// The radius ROIs are built on: the model's when the rod seen agrees with it within 5 %
    /// (an edge found in the image wanders by a fraction of a pixel), else the smaller.
    static func roiBasis(seen: Double, drawn: Double) -> Double {
        abs(seen - drawn) <= 0.05 * drawn ? drawn : min(seen, drawn)
    }

    static func principalAxis(_ x: [Double], _ y: [Double]) -> (Double, Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in x.indices { sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); sxy += (x[i] - mx) * (y[i] - my) }
        let a = 0.5 * atan2(2 * sxy, sxx - syy)
        return (cos(a), sin(a))
    }

    /// A faint rod near `p`: the best disk within `tolerance` on the mean of `slices`, if it stands 3 noise SDs clear.
    /// The HU the fit of the rods found predicts for a rod's certified values (nil when it cannot say).
    static func predictedHU(_ fit: CalibrationFit?, nominal: [String: Double], phantom: PhantomDefinition) -> Double? {
        guard let fit else { return nil }
        switch phantom.calibration {
        case .mindwaysTwoComponent:
            guard let s = fit.sigmaRef, let b = fit.betaRef, let k = nominal["K2HPO4"], let w = nominal["water"] else { return nil }
            return w + s * k + b
        case .linear:
            guard let q = phantom.certificateQuantities.first, let d = nominal[q], fit.slope != 0 else { return nil }
            return (d - fit.intercept) / fit.slope
        case .none:
            return nominal.values.first
        }
    }

    static func faintRod(_ v: Volume, near p: (Double, Double), radius: Double, slices: ClosedRange<Int>, tolerance: Double,
                         expectedHU: Double?) -> (Double, Double)? {
        let g = v.geometry
        let image = SlabImage.mean(v, slices: slices)
        let noise = image.noiseSD()
        let r = radius / g.columnSpacing
        let c = pixel(g, x: p.0, y: p.1, bin: 1)
        let reach = tolerance / g.columnSpacing
        // The nearest candidate that is round and uniform like a rod (contrast may be as low as 3 HU, and its
        // edge, that near the noise, less regular).
        var best: (Double, Double, Double)?
        var bestDistance = Double.infinity
        // Below the noise of its edge a rod's shape cannot be judged: then the nearest box-filter
        // extremum 3 noise SDs clear of its surround, at the place the other rods give, is taken.
        var nearest: (Double, Double, Double)?
        var nearestDistance = Double.infinity
        for cand in RodCandidateFinder.find(image, radiusPixels: (0.8 * r)...(1.2 * r), noise: noise, minimumContrast: 2, sigmas: 3)
        where hypot(cand.i - c.0, cand.j - c.1) <= reach {
            // It must read what the other rods' fit predicts for its certified values (±15 HU).
            if let expectedHU, let inside = image.diskMean(cand.i, cand.j, radius: 0.6 * r), abs(inside.mean - expectedHU) > 15 { continue }
            let dc = hypot(cand.i - c.0, cand.j - c.1)
            if dc < nearestDistance { nearestDistance = dc; nearest = (cand.i, cand.j, cand.contrast) }
            guard let shape = RodShape.measure(image, i: cand.i, j: cand.j, scale: cand.scale, noise: noise),
                  isRod(shape, noise: noise, radiusPx: (0.8 * r)...(1.2 * r), minimumContrast: 3, elongation: 2.5) else { continue }
            let d = hypot(shape.i - c.0, shape.j - c.1)
            if d < bestDistance { bestDistance = d; best = (shape.i, shape.j, shape.contrast) }
        }
        if best == nil { best = nearest }
        guard let best else { return nil }
        let q = g.position(column: best.0, row: best.1, slice: Double(slices.lowerBound))
        return diskRefine(v, x: q.x, y: q.y, radius: radius, bright: best.2 > 0, slices: slices)
    }

    /// Fraction of the segment between two rods (outside both) that is phantom material (> −400 HU) is at least 90 %.
    static func body(points: SlabPoints, slabs: ClosedRange<Int>, geometry g: VolumeGeometry, bin: Int,
                     from a: (Double, Double, Double), to b: (Double, Double, Double)) -> Bool {
        guard slabs.lowerBound <= slabs.upperBound else { return false }
        let d = hypot(b.0 - a.0, b.1 - a.1)
        let start = a.2 + 1, end = d - b.2 - 1
        guard end > start else { return true }
        var inside = 0, total = 0
        var t = start
        let step = max(1.0, (end - start) / 40)
        while t <= end {
            let x = a.0 + (b.0 - a.0) * t / d, y = a.1 + (b.1 - a.1) * t / d
            let q = pixel(g, x: x, y: y, bin: bin)
            var sum = 0.0, n = 0
            for s in slabs { if let v = points.bilinear(slab: s, q.0, q.1) { sum += v; n += 1 } }
            if n > 0 {
                total += 1
                if sum / Double(n) > -400 { inside += 1 }
            }
            t += step
        }
        return total == 0 || Double(inside) >= 0.9 * Double(total)
    }

    /// Patient (x, y) of a slab-image pixel.
    static func patient(_ g: VolumeGeometry, image p: (Double, Double), bin: Int, slab: ClosedRange<Int>) -> Vector3 {
        g.position(column: (p.0 + 0.5) * Double(bin) - 0.5, row: (p.1 + 0.5) * Double(bin) - 0.5,
                   slice: Double(slab.lowerBound + slab.upperBound) / 2)
    }

    /// Slab-image pixel of a patient (x, y).
    static func pixel(_ g: VolumeGeometry, x: Double, y: Double, bin: Int) -> (Double, Double) {
        let d = Vector3(x - g.origin.x, y - g.origin.y, 0)
        let column = d.dot(g.rowDirection) / g.columnSpacing, row = d.dot(g.columnDirection) / g.rowSpacing
        return ((column + 0.5) / Double(bin) - 0.5, (row + 0.5) / Double(bin) - 0.5)
    }

    /// Per-slice centroids around the track, a robust line through them, and
    /// the run of slices where the rod is present (ends trimmed inside the scan).
    static func refine(_ v: Volume, track: RodTrack, name: String, radius: Double, slabs: [ClosedRange<Int>],
                       settings: RodSearchSettings) -> LocatedRod {
        let g = v.geometry
        // Slices covered by the slabs where the track was seen, extended to contiguous presence below.
        var zs: [Double] = [], xs: [Double] = [], ys: [Double] = [], ks: [Int] = []
        // Every slab between the first and the last sighting (a noisy slab may have missed the rod).
        let seen = slabs[track.firstSlab].lowerBound...slabs[track.lastSlab].upperBound
        let (trackX, trackY, trackContrast) = (track.x, track.y, track.contrast)
        // A faint rod's per-slice centroids are pulled by noise: keep its position
        // from the slab detections (sub-pixel box-filter peaks) instead.
        let faint = abs(trackContrast) < 40
        for k in seen where !faint {
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            guard let c = centroid(v, slice: k, x: trackX, y: trackY, radius: radius, contrast: trackContrast) else { continue }
            zs.append(z); xs.append(c.0); ys.append(c.1); ks.append(k)
        }
        let zRef = zs.isEmpty ? 0 : zs.reduce(0, +) / Double(zs.count)
        var keep = Array(zs.indices)
        var fitX = (a: trackX, b: 0.0), fitY = (a: trackY, b: 0.0)
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
        // Seen over a short stretch only: a tilt fitted there would be extrapolated over the whole
        // run, so the line stays parallel to z (through the median centre) instead.
        let zExtent = abs(g.position(column: 0, row: 0, slice: Double(g.slices - 1)).z - g.position(column: 0, row: 0, slice: 0).z)
        if let lo = keep.map({ zs[$0] }).min(), let hi = keep.map({ zs[$0] }).max(), hi - lo < 0.3 * zExtent, !keep.isEmpty {
            fitX = (median(keep.map { xs[$0] }) , 0)
            fitY = (median(keep.map { ys[$0] }), 0)
        }
        if faint {
            let (x, y) = diskRefine(v, x: trackX, y: trackY, radius: radius, bright: trackContrast > 0, slices: seen)
            fitX = (x, 0)
            fitY = (y, 0)
        }
        var rod = LocatedRod(templateName: name, radiusMM: radius, x0: fitX.a, y0: fitY.a, bx: fitX.b, by: fitY.b,
                             zRef: zRef, slices: 0...0, detected: true)
        rod.faint = faint
        // Presence: contiguous slices around the middle whose inside differs from the ring as the rod does.
        // Per slice on the line: mean inside 0.6 radii and of the 1.3–1.8 radii ring (with air: the
        // background check below; without: the contrast).
        let profile = (0..<g.slices).map { k -> (inside: Double, ring: Double, body: Double) in
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            let (cx, cy) = rod.center(z: z)
            let ci = (cx - g.origin.x) / g.columnSpacing, cj = (cy - g.origin.y) / g.rowSpacing
            let r = radius / g.columnSpacing
            return (ringMean(v, slice: k, i: ci, j: cj, inner: 0, outer: 0.6 * r),
                    ringMean(v, slice: k, i: ci, j: cj, inner: 1.3 * r, outer: 1.8 * r),
                    ringMean(v, slice: k, i: ci, j: cj, inner: 1.3 * r, outer: 1.8 * r, above: SlabImage.airBelow))
        }
        // Contrast against the phantom around the rod: a ring that reaches past a thin pad's face
        // into air would otherwise turn a rod darker than the pad into a bright one.
        let contrasts = profile.map { $0.inside - $0.body }
        // The rod's contrast as read on its own line over the slices where it was seen; the slab
        // detection's figure is kept when that reading is lost in the noise (or has the other sign).
        let onLine = contrasts[seen.clamped(to: 0...(g.slices - 1))].sorted()
        let seenContrast = onLine.isEmpty ? 0 : onLine[onLine.count / 2]
        let typical = (seenContrast > 0) == (trackContrast > 0) && abs(seenContrast) >= 6 ? seenContrast : trackContrast
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
        let rangeZ = inRange.map { zs[$0] }
        if !faint, inRange.count >= 3, (rangeZ.max() ?? 0) - (rangeZ.min() ?? 0) >= 0.3 * zExtent {
            let fx = lineFit(inRange.map { zs[$0] - zRef }, inRange.map { xs[$0] })
            let fy = lineFit(inRange.map { zs[$0] - zRef }, inRange.map { ys[$0] })
            rod.x0 = fx.a; rod.bx = fx.b
            rod.y0 = fy.a; rod.by = fy.b
        }
        return rod
    }

    /// Best disk position within ±3 mm on the mean of the rod's slices (`DiskFitter`: the disk against
    /// a band just outside its edge, phantom pixels only, none next to air). Uses every pixel of a faint
    /// rod's edge; a pad face near the rod cannot pull it.
    static func diskRefine(_ v: Volume, x: Double, y: Double, radius: Double, bright: Bool, slices: ClosedRange<Int>) -> (Double, Double) {
        let g = v.geometry
        let c = pixel(g, x: x, y: y, bin: 1)
        let rPx = radius / g.columnSpacing, reach = 3 / g.columnSpacing
        // Only the part of the slices a fit within reach can read.
        guard let region = PixelRegion(around: [c], margin: DiskFitter.band(rPx).1 + reach + 6, columns: g.columns, rows: g.rows) else {
            return (x, y)
        }
        let fitter = DiskFitter(SlabImage.mean(v, slices: slices, region: region), origin: (region.columns.lowerBound, region.rows.lowerBound))
        guard let d = fitter.fit(c.0, c.1, radius: rPx, reach: reach, sign: bright ? 1 : -1) else {
            return (x, y)
        }
        let q = g.position(column: d.i, row: d.j, slice: Double(slices.lowerBound))
        return (q.x, q.y)
    }

    /// Weighted centroid of the rod's contrast within 1.15 radii + 1 pixel (patient mm; the face of
    /// a thin pad a few mm from the rod stays out), twice: each pixel weighs
    /// its HU − background towards the rod, at most the rod's `contrast`; a pixel beyond the rod
    /// by more than half the contrast + 30 HU (air past the face of a thin pad, a couch) is
    /// something else and weighs nothing.
    static func centroid(_ v: Volume, slice k: Int, x: Double, y: Double, radius: Double, contrast: Double) -> (Double, Double)? {
        // Twice: the window follows the first estimate.
        guard let first = centroidOnce(v, slice: k, x: x, y: y, radius: radius, contrast: contrast) else { return nil }
        return centroidOnce(v, slice: k, x: first.0, y: first.1, radius: radius, contrast: contrast)
    }

    static func centroidOnce(_ v: Volume, slice k: Int, x: Double, y: Double, radius: Double, contrast: Double) -> (Double, Double)? {
        let g = v.geometry
        let ci = (x - g.origin.x) / g.columnSpacing, cj = (y - g.origin.y) / g.rowSpacing
        let rp = 1.15 * radius / g.columnSpacing + 1
        // Background: the phantom (not air) just outside the window.
        let bg = ringMean(v, slice: k, i: ci, j: cj, inner: rp, outer: rp + max(3, 0.3 * rp), above: -400)
        let sign = contrast > 0 ? 1.0 : -1.0, full = abs(contrast)
        var sw = 0.0, sx = 0.0, sy = 0.0
        for j in Int(cj - rp)...Int(cj + rp) {
            for i in Int(ci - rp)...Int(ci + rp) where i >= 0 && j >= 0 && i < g.columns && j < g.rows {
                let di = Double(i) - ci, dj = Double(j) - cj
                guard di * di + dj * dj <= rp * rp else { continue }
                let toward = sign * (v.hu(column: i, row: j, slice: k) - bg)
                guard toward <= 1.5 * full + 30 else { continue }
                let w = min(max(0, toward), full)
                sw += w; sx += w * Double(i); sy += w * Double(j)
            }
        }
        guard sw > 0 else { return nil }
        return (g.origin.x + sx / sw * g.columnSpacing, g.origin.y + sy / sw * g.rowSpacing)
    }

    /// Mean HU between `inner` and `outer` pixels of (ci, cj) on slice k, of the pixels above `above` HU when given.
    static func ringMean(_ v: Volume, slice k: Int, i ci: Double, j cj: Double, inner: Double, outer: Double,
                         above: Double = -.infinity) -> Double {
        let g = v.geometry
        var s = 0.0, n = 0.0
        for j in Int(cj - outer)...Int(cj + outer) {
            for i in Int(ci - outer)...Int(ci + outer) where i >= 0 && j >= 0 && i < g.columns && j < g.rows {
                let d2 = (Double(i) - ci) * (Double(i) - ci) + (Double(j) - cj) * (Double(j) - cj)
                guard d2 >= inner * inner, d2 <= outer * outer else { continue }
                let value = v.hu(column: i, row: j, slice: k)
                guard value > above else { continue }
                s += value
                n += 1
            }
        }
        return n > 0 ? s / n : 0
    }

    /// Centre against z: a least-squares line whose tilt is kept only when it stands 3 standard
    /// errors clear of zero (rods run along the table; a tilt fitted to noisy centres of a few thick
    /// slices would carry the ROI off the rod at the ends), else the mean, parallel to z.
    static func lineFit(_ x: [Double], _ y: [Double]) -> (a: Double, b: Double) {
        let my = y.reduce(0, +) / Double(y.count)
        guard x.count >= 4, let fit = LinearFit(x: x, y: y), abs(fit.slope) > 3 * fit.slopeStandardError else { return (my, 0) }
        return (fit.intercept, fit.slope)
    }
}

func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
