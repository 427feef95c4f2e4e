import Foundation
import QCTPhantoms

/// Sets of rod tracks that stand in the relations a phantom's layout states
/// (on one line with neighbour spacings in range, on one ring of the stated
/// radius, or within one span), seen together along z and lying in one body.
/// No template position enters.
struct RodGrouping {
    let layout: RodLayout
    /// Track centres (patient mm), radii, and whether two tracks overlap in z.
    let points: [(x: Double, y: Double, r: Double)]
    let together: (Int, Int) -> Bool
    /// True when the straight segment between two tracks runs through phantom material.
    let inOneBody: (Int, Int) -> Bool
    /// True when a point (patient mm) lies in phantom material.
    let inBodyAt: (Double, Double) -> Bool

    /// Every subset of `sizes` tracks (largest sizes first), each ordered along its arrangement.
    func subsets(sizes: [Int], limit: Int = 50_000) -> [[Int]] {
        var groups = Set<[Int]>()
        let n = points.count
        let tol = layout.toleranceMM
        switch layout.arrangement {
        case .line:
            for a in 0..<n {
                for b in (a + 1)..<max(a + 1, n) where together(a, b) {
                    let dx = points[b].x - points[a].x, dy = points[b].y - points[a].y
                    let len = (dx * dx + dy * dy).squareRoot()
                    guard len > 0, len <= layout.maxSpanMM + tol else { continue }
                    let (ux, uy) = (dx / len, dy / len)
                    let members = (0..<n).filter { t in
                        let px = points[t].x - points[a].x, py = points[t].y - points[a].y
                        return abs(ux * py - uy * px) <= tol && together(t, a) && together(t, b)
                    }.sorted { ux * points[$0].x + uy * points[$0].y < ux * points[$1].x + uy * points[$1].y }
                    groups.insert(members)
                }
            }
        case .ring:
            let rr = layout.ringRadiusMM ?? [1, layout.maxSpanMM / 2]
            for a in 0..<n {
                for b in (a + 1)..<max(a + 1, n) where together(a, b) {
                    for c in (b + 1)..<max(b + 1, n) where together(a, c) && together(b, c) {
                        guard let circle = RodShape.fitCircle([(points[a].x, points[a].y), (points[b].x, points[b].y), (points[c].x, points[c].y)]),
                              circle.r >= rr[0] - tol, circle.r <= rr[1] + tol else { continue }
                        let members = (0..<n).filter { t in
                            abs(hypot(points[t].x - circle.x, points[t].y - circle.y) - circle.r) <= tol && together(t, a)
                        }.sorted { atan2(points[$0].y - circle.y, points[$0].x - circle.x) < atan2(points[$1].y - circle.y, points[$1].x - circle.x) }
                        groups.insert(members)
                    }
                }
            }
        case .cluster:
            for a in 0..<n {
                let members = (0..<n).filter { hypot(points[$0].x - points[a].x, points[$0].y - points[a].y) <= layout.maxSpanMM && together($0, a) }
                groups.insert(members)
            }
        }
        var out: [[Int]] = []
        var seen = Set<[Int]>()
        for k in sizes {
            for g in groups.sorted(by: { $0.lexicographicallyPrecedes($1) }) where g.count >= k {
                combinations(g.count, k) { pick in
                    let subset = pick.map { g[$0] }
                    guard out.count < limit, !seen.contains(subset), valid(subset) else { return }
                    seen.insert(subset)
                    out.append(subset)
                }
            }
        }
        return out
    }

    /// The relations of the layout, checked on one ordered subset.
    func valid(_ s: [Int]) -> Bool {
        let k = s.count
        guard k >= 1 else { return false }
        for i in 0..<k { for j in (i + 1)..<max(i + 1, k) {
            guard together(s[i], s[j]) else { return false }
            let d = hypot(points[s[i]].x - points[s[j]].x, points[s[i]].y - points[s[j]].y)
            // No two rods overlap, and all lie within the span.
            guard d >= points[s[i]].r + points[s[j]].r, d <= layout.maxSpanMM + layout.toleranceMM else { return false }
        } }
        switch layout.arrangement {
        case .line:
            guard let spacing = layout.spacingMM else { return false }
            if k >= 3 {
                // Total least squares line: the largest distance off it.
                let mx = s.map { points[$0].x }.reduce(0, +) / Double(k), my = s.map { points[$0].y }.reduce(0, +) / Double(k)
                let (ux, uy) = RodLocator.principalAxis(s.map { points[$0].x }, s.map { points[$0].y })
                for t in s where abs(ux * (points[t].y - my) - uy * (points[t].x - mx)) > layout.toleranceMM { return false }
            }
            // Neighbour spacings in range; a gap of two spacings is allowed (a rod not seen).
            for (a, b) in zip(s, s.dropFirst()) {
                let d = hypot(points[a].x - points[b].x, points[a].y - points[b].y)
                guard d >= spacing[0] - layout.toleranceMM, d <= 2 * spacing[1] + layout.toleranceMM else { return false }
                guard inOneBody(a, b) else { return false }
            }
        case .ring:
            guard k >= 3, let rr = layout.ringRadiusMM,
                  let c = RodShape.fitCircle(s.map { (points[$0].x, points[$0].y) }),
                  c.r >= rr[0] - layout.toleranceMM, c.r <= rr[1] + layout.toleranceMM else { return false }
            for t in s where abs(hypot(points[t].x - c.x, points[t].y - c.y) - c.r) > layout.toleranceMM { return false }
            guard inBodyAt(c.x, c.y) else { return false }
            for (a, b) in zip(s, s.dropFirst() + [s[0]]) where a != b { guard inOneBody(a, b) else { return false } }
        case .cluster:
            for (a, b) in zip(s, s.dropFirst()) { guard inOneBody(a, b) else { return false } }
        }
        return true
    }
}

/// Calls `body` with every k-subset of 0..<n, in lexicographic order.
func combinations(_ n: Int, _ k: Int, _ body: ([Int]) -> Void) {
    guard k >= 0, k <= n else { return }
    if k == 0 { body([]); return }
    var pick = Array(0..<k)
    while true {
        body(pick)
        var i = k - 1
        while i >= 0, pick[i] == n - k + i { i -= 1 }
        if i < 0 { return }
        pick[i] += 1
        for j in (i + 1)..<k { pick[j] = pick[j - 1] + 1 }
    }
}
