import Foundation

/// Matches a rod template (phantom-frame centres) to tracks found in the
/// image under a similarity transform (rotation, translation, optional
/// mirror, scale 0.8–1.25), hypothesised from every pair of template rods
/// and every pair of tracks.
enum TemplateMatcher {
    struct Match {
        /// Template index → track index (nil when the rod was not seen).
        var assignment: [Int?]
        /// Predicted patient position of every template rod.
        var predicted: [(Double, Double)]
        var matched: Int
    }

    static func match(template t: [(Double, Double)], tracks p: [(Double, Double, Int)], tolerance: Double) -> Match? {
        guard !t.isEmpty, !p.isEmpty else { return nil }
        if t.count == 1 {
            let best = p.indices.max { p[$0].2 < p[$1].2 }!
            return Match(assignment: [best], predicted: [(p[best].0, p[best].1)], matched: 1)
        }
        var best: (score: Double, match: Match)?
        for i in t.indices {
            for k in t.indices where k != i {
                let tv = (t[k].0 - t[i].0, t[k].1 - t[i].1)
                let tl = hypot(tv.0, tv.1)
                guard tl > 0 else { continue }
                for a in p.indices {
                    for b in p.indices where b != a {
                        let pv = (p[b].0 - p[a].0, p[b].1 - p[a].1)
                        let s = hypot(pv.0, pv.1) / tl
                        guard s >= 0.8, s <= 1.25 else { continue }
                        for mirror in [false, true] {
                            let tvm = mirror ? (-tv.0, tv.1) : tv
                            let theta = atan2(pv.1, pv.0) - atan2(tvm.1, tvm.0)
                            let (c, sn) = (cos(theta), sin(theta))
                            func map(_ q: (Double, Double)) -> (Double, Double) {
                                var dx = q.0 - t[i].0, dy = q.1 - t[i].1
                                if mirror { dx = -dx }
                                return (p[a].0 + s * (c * dx - sn * dy), p[a].1 + s * (sn * dx + c * dy))
                            }
                            let predicted = t.map(map)
                            var used = Set<Int>()
                            var assignment = [Int?](repeating: nil, count: t.count)
                            var residual = 0.0
                            // Greedy nearest assignment, closest pairs first.
                            var pairs: [(Double, Int, Int)] = []
                            for (ti, q) in predicted.enumerated() {
                                for (pi, r) in p.enumerated() {
                                    let d = hypot(q.0 - r.0, q.1 - r.1)
                                    if d <= tolerance { pairs.append((d, ti, pi)) }
                                }
                            }
                            for (d, ti, pi) in pairs.sorted(by: { $0.0 < $1.0 }) where assignment[ti] == nil && !used.contains(pi) {
                                assignment[ti] = pi
                                used.insert(pi)
                                residual += d
                            }
                            let matched = assignment.compactMap { $0 }.count
                            let support = assignment.compactMap { $0 }.map { Double(p[$0].2) }.reduce(0, +)
                            let score = Double(matched) * 1e6 + support * 10 - residual
                            if best == nil || score > best!.score {
                                best = (score, Match(assignment: assignment, predicted: predicted, matched: matched))
                            }
                        }
                    }
                }
            }
        }
        guard let m = best?.match, m.matched >= 2 else { return nil }
        return m
    }
}
