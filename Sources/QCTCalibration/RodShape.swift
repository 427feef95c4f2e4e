import Foundation

/// What a candidate looks like up close, on its slab image: the edge found
/// along 16 rays (where the profile crosses half way from inside to
/// outside), a circle fitted through those edge points, and the HU inside
/// and around it. A rod is round (edge radii agree), uniform inside, and
/// sits in a uniform surround; a plate, a shell, a body outline or a piece
/// of anatomy fails one of these.
struct RodShape: Sendable {
    /// Centre (column, row) and radius of the circle through the edge points, slab pixels.
    var i: Double
    var j: Double
    var radius: Double
    /// Mean and SD of the pixels inside 0.6 radius, HU.
    var insideHU: Double
    var insideSD: Double
    /// Mean of the phantom (non-air) pixels of the agreeing sectors of the ring 1.12–1.45 radii, HU.
    var surroundHU: Double
    /// Largest / smallest edge radius over the rays that found an edge.
    var elongation: Double
    /// Largest difference between the agreeing surround sectors, HU.
    var surroundSpread: Double

    var contrast: Double { insideHU - surroundHU }

    static let rays = 16

    /// Nil when no round edge is found.
    static func measure(_ slab: SlabImage, i ci: Double, j cj: Double, scale: Double, noise: Double) -> RodShape? {
        // Pass 1 from the filter scale's guess; pass 2 from the first circle, so that the
        // outside level is read just outside the edge, not in whatever lies farther out.
        guard let first = edgeCircle(slab, i: ci, j: cj, radius: scale, reachFactor: 2.4),
              let circle = edgeCircle(slab, i: first.x, j: first.y, radius: first.r, reachFactor: 1.8) else { return nil }
        let (i, j, radius) = (circle.x, circle.y, circle.r)
        // The surround just outside the edge (clear of the blur); air is left out, so a rod near the face of a thin pad has one.
        let ringIn = max(1.12 * radius, radius + 1.5), ringOut = max(1.45 * radius, ringIn + 2)
        guard let inside = slab.diskMean(i, j, radius: 0.6 * radius) else { return nil }
        var sectors: [(index: Int, mean: Double)] = []
        for (s, m) in slab.sectorMeans(i, j, inner: ringIn, outer: ringOut, sectors: 8).enumerated() {
            if let m, m.n >= 3 { sectors.append((s, m.mean)) }
        }
        // The surround is the largest group of sectors that agree (within 0.2 × the contrast they give
        // + 1.5 noise SDs of one of them), at least four with two facing each other: a neighbouring rod,
        // the body's edge, a couch below or a patient above a thin pad may take the others.
        var group: [(index: Int, mean: Double)] = []
        var groupSpread = Double.infinity
        for anchor in sectors {
            let tolerance = 0.2 * abs(inside.mean - anchor.mean) + 1.5 * noise
            let members = sectors.filter { abs($0.mean - anchor.mean) <= tolerance }
            let facing = members.contains { a in members.contains { b in (3...5).contains((b.index - a.index + 8) % 8) } }
            guard members.count >= 4, facing else { continue }
            let spread = (members.map(\.mean).max() ?? 0) - (members.map(\.mean).min() ?? 0)
            if members.count > group.count || (members.count == group.count && spread < groupSpread) {
                group = members
                groupSpread = spread
            }
        }
        guard !group.isEmpty else { return nil }
        let values = group.map(\.mean)
        let surround = values.reduce(0, +) / Double(values.count)
        return RodShape(i: i, j: j, radius: radius, insideHU: inside.mean, insideSD: inside.sd, surroundHU: surround,
                        elongation: circle.elongation, surroundSpread: (values.max() ?? 0) - (values.min() ?? 0))
    }

    /// Edge points along the rays (half way between the inside level, within ½ radius, and the
    /// outside level, 1.3–1.8 radii), and the circle through them.
    static func edgeCircle(_ slab: SlabImage, i ci: Double, j cj: Double, radius: Double,
                           reachFactor: Double) -> (x: Double, y: Double, r: Double, elongation: Double)? {
        guard let inside = slab.diskMean(ci, cj, radius: 0.5 * radius)?.mean,
              let outsideRing = slab.ringMedian(ci, cj, inner: 1.3 * radius, outer: max(1.8 * radius, 1.3 * radius + 1.5)) else { return nil }
        let contrast = inside - outsideRing
        guard abs(contrast) > 1e-6 else { return nil }
        var edges: [(Double, Double)] = []
        var radii: [Double] = []
        let step = 0.25
        let reach = reachFactor * radius
        for r in 0..<rays {
            let a = 2 * Double.pi * Double(r) / Double(rays)
            let (dx, dy) = (cos(a), sin(a))
            var t = 0.0
            var previous: Double?
            while t <= reach {
                guard let v = slab.bilinear(ci + t * dx, cj + t * dy) else { break }
                let f = (v - outsideRing) / contrast
                if let p = previous, p >= 0.5, f < 0.5 {
                    let te = t - step + (p - 0.5) / max(p - f, 1e-9) * step
                    edges.append((ci + te * dx, cj + te * dy))
                    radii.append(te)
                    break
                }
                previous = f
                t += step
            }
        }
        guard edges.count >= rays / 2 + 1, let c = fitCircle(edges), c.r > 0.5 else { return nil }
        // Elongation from the edge distances to the fitted centre.
        let d = edges.map { hypot($0.0 - c.x, $0.1 - c.y) }.sorted()
        let missing = rays - edges.count
        // Rays that found no edge count as elongation: a plate has edges only across it.
        let elongation = (d.last! / max(d.first!, 1e-9)) * (missing > 2 ? 1.5 : 1)
        return (c.x, c.y, c.r, elongation)
    }

    /// Kåsa's algebraic circle fit: x² + y² + D x + E y + F = 0 in least squares.
    static func fitCircle(_ p: [(Double, Double)]) -> (x: Double, y: Double, r: Double)? {
        let n = Double(p.count)
        guard n >= 3 else { return nil }
        let mx = p.map(\.0).reduce(0, +) / n, my = p.map(\.1).reduce(0, +) / n
        var suu = 0.0, svv = 0.0, suv = 0.0, suuu = 0.0, svvv = 0.0, suvv = 0.0, svuu = 0.0
        for (x, y) in p {
            let u = x - mx, v = y - my
            suu += u * u; svv += v * v; suv += u * v
            suuu += u * u * u; svvv += v * v * v; suvv += u * v * v; svuu += v * u * u
        }
        let det = suu * svv - suv * suv
        guard abs(det) > 1e-12 else { return nil }
        let b1 = 0.5 * (suuu + suvv), b2 = 0.5 * (svvv + svuu)
        let uc = (b1 * svv - b2 * suv) / det, vc = (suu * b2 - suv * b1) / det
        let r = (uc * uc + vc * vc + (suu + svv) / n).squareRoot()
        guard r.isFinite else { return nil }
        return (uc + mx, vc + my, r)
    }
}

extension SlabImage {
    /// Bilinear value at (x, y) pixel coordinates; nil outside the image.
    @inline(__always)
    func bilinear(_ x: Double, _ y: Double) -> Double? {
        guard x >= 0, y >= 0, x <= Double(columns - 1), y <= Double(rows - 1) else { return nil }
        let i = min(Int(x), columns - 2), j = min(Int(y), rows - 2)
        let fx = x - Double(i), fy = y - Double(j)
        let a = pixels[j * columns + i], b = pixels[j * columns + i + 1]
        let c = pixels[(j + 1) * columns + i], d = pixels[(j + 1) * columns + i + 1]
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }

    /// Mean and SD of the pixels within `radius` of (x, y); nil when none is inside the image.
    func diskMean(_ x: Double, _ y: Double, radius: Double) -> (mean: Double, sd: Double, n: Int)? {
        ringMean(x, y, inner: -1, outer: max(radius, 0.75))
    }

    /// Median of the phantom (non-air) pixels between `inner` and `outer` from (x, y).
    func ringMedian(_ x: Double, _ y: Double, inner: Double, outer: Double) -> Double? {
        var values: [Double] = []
        let j0 = max(0, Int((y - outer).rounded(.down))), j1 = min(rows - 1, Int((y + outer).rounded(.up)))
        let i0 = max(0, Int((x - outer).rounded(.down))), i1 = min(columns - 1, Int((x + outer).rounded(.up)))
        guard j1 >= j0, i1 >= i0 else { return nil }
        for j in j0...j1 {
            let dy = Double(j) - y
            for i in i0...i1 {
                let dx = Double(i) - x
                let d2 = dx * dx + dy * dy
                let v = pixels[j * columns + i]
                if d2 >= inner * inner, d2 <= outer * outer, v >= Self.airBelow { values.append(v) }
            }
        }
        return values.isEmpty ? nil : median(values)
    }

    /// Mean and count of the phantom (non-air) pixels between `inner` and `outer` from (x, y) in each of
    /// `sectors` equal angular sectors [2πs/n, 2π(s+1)/n] (a pixel on a boundary counts in both).
    func sectorMeans(_ x: Double, _ y: Double, inner: Double, outer: Double, sectors: Int) -> [(mean: Double, n: Int)?] {
        var sum = [Double](repeating: 0, count: sectors), count = [Int](repeating: 0, count: sectors)
        let j0 = max(0, Int((y - outer).rounded(.down))), j1 = min(rows - 1, Int((y + outer).rounded(.up)))
        let i0 = max(0, Int((x - outer).rounded(.down))), i1 = min(columns - 1, Int((x + outer).rounded(.up)))
        guard j1 >= j0, i1 >= i0 else { return Array(repeating: nil, count: sectors) }
        let in2 = inner < 0 ? -1 : inner * inner, out2 = outer * outer
        let bounds = (0..<sectors).map { s -> ClosedRange<Double> in
            let a0 = 2 * Double.pi * Double(s) / Double(sectors)
            return a0...(a0 + 2 * Double.pi / Double(sectors))
        }
        for j in j0...j1 {
            let dy = Double(j) - y
            for i in i0...i1 {
                let dx = Double(i) - x
                let d2 = dx * dx + dy * dy
                guard d2 >= in2, d2 <= out2 else { continue }
                let v = pixels[j * columns + i]
                guard v >= Self.airBelow else { continue }
                var a = atan2(dy, dx)
                if a < 0 { a += 2 * Double.pi }
                for s in 0..<sectors where bounds[s].contains(a) {
                    sum[s] += v
                    count[s] += 1
                }
            }
        }
        return (0..<sectors).map { count[$0] > 0 ? (sum[$0] / Double(count[$0]), count[$0]) : nil }
    }

    /// Mean and SD of the pixels between `inner` and `outer` from (x, y).
    func ringMean(_ x: Double, _ y: Double, inner: Double, outer: Double, bodyOnly: Bool = false) -> (mean: Double, sd: Double, n: Int)? {
        var s = 0.0, ss = 0.0, n = 0
        let j0 = max(0, Int((y - outer).rounded(.down))), j1 = min(rows - 1, Int((y + outer).rounded(.up)))
        let i0 = max(0, Int((x - outer).rounded(.down))), i1 = min(columns - 1, Int((x + outer).rounded(.up)))
        guard j1 >= j0, i1 >= i0 else { return nil }
        let in2 = inner < 0 ? -1 : inner * inner, out2 = outer * outer
        for j in j0...j1 {
            let dy = Double(j) - y
            for i in i0...i1 {
                let dx = Double(i) - x
                let d2 = dx * dx + dy * dy
                guard d2 >= in2, d2 <= out2 else { continue }
                let v = pixels[j * columns + i]
                if bodyOnly, v < Self.airBelow { continue }
                s += v; ss += v * v; n += 1
            }
        }
        guard n > 0 else { return nil }
        let m = s / Double(n)
        let variance = n > 1 ? max(0, (ss - Double(n) * m * m) / Double(n - 1)) : 0
        return (m, variance.squareRoot(), n)
    }
}
