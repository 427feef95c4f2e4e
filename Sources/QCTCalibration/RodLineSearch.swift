import Foundation
import QCTCore
import QCTPhantoms
import QCTStatistics

extension RodLocator {
    /// Rods the slabs missed, looked for along the line through the rods found
    /// (the layout's relation: the rods of a pad stand on one line, at spacings
    /// no template fixes).
    ///
    /// On the mean image of the found rods' slices, disks of the found rods'
    /// radius are read at every place on a band around the line (`DiskFitter`:
    /// the disk against a band just outside its edge, phantom pixels only), out
    /// to as many spacings beyond the outermost rods as rods are missing. A
    /// missing rod is the place, clear of the other rods, that reads what the
    /// fit of the found rods predicts for its certified values (within
    /// max(15 HU, 5 %, 3 SEE of that fit)), stands out from its surround by at
    /// least 30 % of the predicted contrast, and stands out most (either way); its disk is
    /// then refined to 0.1 pixel. The rod that
    /// differs most from the body is placed first. Returns patient (x, y) by
    /// insert index; a rod no place matches is left out.
    static func alongLine(_ v: Volume, found: [(Double, Double)], radius: Double, slices: ClosedRange<Int>,
                          missing: [(index: Int, hu: Double)], fitSEE: Double, layout: RodLayout) -> [Int: (Double, Double)] {
        guard found.count >= 2, !missing.isEmpty, radius > 0 else { return [:] }
        let g = v.geometry
        let ps = g.columnSpacing
        let rPx = radius / ps
        let n = Double(found.count)
        let mx = found.map(\.0).reduce(0, +) / n, my = found.map(\.1).reduce(0, +) / n
        let (ux, uy) = principalAxis(found.map(\.0), found.map(\.1))
        let ts = found.map { ($0.0 - mx) * ux + ($0.1 - my) * uy }.sorted()
        let gaps = zip(ts, ts.dropFirst()).map { $1 - $0 }
        let spacing = layout.spacingMM ?? [2 * radius, layout.maxSpanMM]
        let step = min(max(gaps.max() ?? spacing[0], spacing[0]), spacing[1])
        let reach = Double(missing.count) * step + radius
        // Every place on the band, (x, y) patient mm.
        var band: [(x: Double, y: Double)] = []
        let along = max(ps, radius / 4), across = max(ps, radius / 4)
        var t = ts[0] - reach
        while t <= ts[ts.count - 1] + reach {
            var s = -layout.toleranceMM
            while s <= layout.toleranceMM {
                band.append((mx + t * ux - s * uy, my + t * uy + s * ux))
                s += across
            }
            t += along
        }
        let slots = freeSlots(ts, missing: missing.count)
        // The mean image is read only around the band and the free slots: a disk and its surround,
        // a refinement's reach and the two pixels next to air that do not count, with room to spare.
        let needed = (band + slots.map { (mx + $0 * ux, my + $0 * uy) }).map { pixel(g, x: $0.0, y: $0.1, bin: 1) }
        let refineReach = max(1, 0.35 * rPx)
        guard let region = PixelRegion(around: needed, margin: DiskFitter.band(rPx).1 + refineReach + 6,
                                       columns: g.columns, rows: g.rows) else { return [:] }
        let fitter = DiskFitter(SlabImage.mean(v, slices: slices, region: region),
                                origin: (region.columns.lowerBound, region.rows.lowerBound))
        // Each place and its reading.
        let places = band.compactMap { p -> (x: Double, y: Double, d: DiskReading)? in
            let q = pixel(g, x: p.x, y: p.y, bin: 1)
            return fitter.read(q.0, q.1, radius: rPx).map { (p.x, p.y, $0) }
        }
        guard !places.isEmpty else { return [:] }
        let body = median(places.map(\.d.outside))
        // A place whose band reaches another rod is not judged against its own surround.
        let clearance = radius + (DiskFitter.band(rPx).1 + 1) * ps
        let bandSD = median(places.map(\.d.outsideSD))
        var taken = found
        var out: [Int: (Double, Double)] = [:]
        for (ci, hu) in missing.sorted(by: { abs($0.hu - body) > abs($1.hu - body) }) {
            // The prediction is as good as the fit of the rods found: a drifting rod among them widens it.
            let tolerance = max(15, 0.05 * abs(hu), 3 * (fitSEE.isFinite ? fitSEE : 0))
            // A rod that reads near the body (rod B of a pad at high keV) may come out on either side of it
            // in a fit of few rods: the contrast counts, not its predicted sign.
            func score(_ d: DiskReading) -> Double? {
                guard abs(d.inside - hu) <= tolerance, abs(d.contrast) >= max(2, 0.3 * abs(hu - d.outside)),
                      d.outsideSD <= 2 * bandSD + 0.5 * abs(d.contrast) else { return nil }
                return abs(d.contrast)
            }
            // The places in order of score; the first that still reads as the rod once refined, and stays clear.
            let ranked = places.compactMap { p -> (x: Double, y: Double, d: DiskReading, score: Double)? in
                guard taken.allSatisfy({ hypot($0.0 - p.x, $0.1 - p.y) >= clearance }), let sc = score(p.d) else { return nil }
                return (p.x, p.y, p.d, sc)
            }.sorted { $0.score > $1.score }
            var tried: [(Double, Double)] = []
            for best in ranked where tried.count < 6 && tried.allSatisfy({ hypot($0.0 - best.x, $0.1 - best.y) >= radius }) {
                tried.append((best.x, best.y))
                let sign = best.d.contrast >= 0 ? 1.0 : -1.0
                guard let refined = fitter.fit(best.d.i, best.d.j, radius: rPx, reach: refineReach, sign: sign),
                      score(refined) != nil else { continue }
                let q = g.position(column: refined.i, row: refined.j, slice: Double(slices.lowerBound))
                guard taken.allSatisfy({ hypot($0.0 - q.x, $0.1 - q.y) >= clearance }) else { continue }
                var chosen = (q.x, q.y)
                // A faint rod's disk wanders with the noise. Where the rods found stand at one pitch, the
                // free slot near it is taken instead unless it reads worse than the wandering best by
                // more than 2 standard errors of the contrast.
                // The slot lies on the line through the rods found (they are collinear).
                let tq = (q.x - mx) * ux + (q.y - my) * uy
                if let slot = slots.min(by: { abs($0 - tq) < abs($1 - tq) }), abs(slot - tq) <= 0.35 * radius {
                    let (px, py) = (mx + slot * ux, my + slot * uy)
                    let pp = pixel(g, x: px, y: py, bin: 1)
                    if let d = fitter.read(pp.0, pp.1, radius: rPx) {
                        let se = 3 * refined.outsideSD * (1 / Double(refined.insideCount) + 1.57 / Double(refined.outsideCount)).squareRoot()
                        if sign * d.contrast >= sign * refined.contrast - 2 * se, score(d) != nil { chosen = (px, py) }
                    }
                }
                taken.append(chosen)
                out[ci] = chosen
                break
            }
        }
        return out
    }

    /// Along-line positions of the slots the rods found leave free, when they stand at one pitch
    /// (measured on this phantom: at least three rods, every one within max(0.5 mm, 2 % of the pitch)
    /// of a least-squares grid); empty otherwise. Slots run `missing` pitches beyond either end.
    static func freeSlots(_ ts: [Double], missing: Int) -> [Double] {
        guard ts.count >= 3, let p0 = zip(ts, ts.dropFirst()).map({ $1 - $0 }).min(), p0 > 0 else { return [] }
        let m = ts.map { (($0 - ts[0]) / p0).rounded() }
        guard Set(m).count == m.count, let fit = LinearFit(x: m, y: ts) else { return [] }
        let pitch = fit.slope
        guard pitch > 0, zip(m, ts).allSatisfy({ abs(fit.intercept + pitch * $0 - $1) <= max(0.5, 0.02 * pitch) }) else { return [] }
        let occupied = Set(m.map { Int($0) })
        let last = Int(m.last!)
        return (-missing...(last + missing)).filter { !occupied.contains($0) }.map { fit.intercept + pitch * Double($0) }
    }
}
