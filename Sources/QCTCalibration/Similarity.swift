/// A 2-D similarity transform (rotation, uniform scale, translation, optional
/// mirror) fitted in least squares from template points to found points, as
/// complex numbers: found = a · t + b, with t conjugated when mirrored.
struct Similarity: Sendable {
    var ar: Double, ai: Double, br: Double, bi: Double
    var mirrored: Bool

    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let ty = mirrored ? -y : y
        return (ar * x - ai * ty + br, ai * x + ar * ty + bi)
    }

    /// The better of the plain and the mirrored fit; nil with fewer than two distinct points.
    static func fit(template t: [(Double, Double)], found p: [(Double, Double)]) -> Similarity? {
        guard t.count >= 2, t.count == p.count else { return nil }
        var best: (Double, Similarity)?
        for mirrored in [false, true] {
            let tt = t.map { mirrored ? ($0.0, -$0.1) : $0 }
            let n = Double(tt.count)
            let mtx = tt.map(\.0).reduce(0, +) / n, mty = tt.map(\.1).reduce(0, +) / n
            let mpx = p.map(\.0).reduce(0, +) / n, mpy = p.map(\.1).reduce(0, +) / n
            var nr = 0.0, ni = 0.0, d = 0.0
            for (q, r) in zip(tt, p) {
                let (ux, uy) = (q.0 - mtx, q.1 - mty), (vx, vy) = (r.0 - mpx, r.1 - mpy)
                // (v) · conj(u)
                nr += vx * ux + vy * uy
                ni += vy * ux - vx * uy
                d += ux * ux + uy * uy
            }
            guard d > 0 else { continue }
            let ar = nr / d, ai = ni / d
            let br = mpx - (ar * mtx - ai * mty), bi = mpy - (ai * mtx + ar * mty)
            let s = Similarity(ar: ar, ai: ai, br: br, bi: bi, mirrored: mirrored)
            var sse = 0.0
            for (q, r) in zip(t, p) { let m = s.apply(q.0, q.1); sse += (m.0 - r.0) * (m.0 - r.0) + (m.1 - r.1) * (m.1 - r.1) }
            if best == nil || sse < best!.0 - 1e-9 { best = (sse, s) }
        }
        return best?.1
    }
}
