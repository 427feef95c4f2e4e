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
        let tol2 = tolerance * tolerance
        // Template pairs unordered (i < k); track pairs ordered: together with
        // the mirror this covers every orientation once.
        for i in t.indices {
            for k in t.indices where k > i {
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
                            var predicted: [(Double, Double)] = []
                            predicted.reserveCapacity(t.count)
                            var assignment = [Int?](repeating: nil, count: t.count)
                            var distance = [Double](repeating: .infinity, count: t.count)
                            var claimedBy = [Int: Int]()
                            for (ti, q) in t.enumerated() {
                                var dx = q.0 - t[i].0
                                let dy = q.1 - t[i].1
                                if mirror { dx = -dx }
                                let m = (p[a].0 + s * (c * dx - sn * dy), p[a].1 + s * (sn * dx + c * dy))
                                predicted.append(m)
                                // Nearest track within tolerance; a track claimed twice goes to the closer rod.
                                var bestTrack = -1, bestD2 = tol2
                                for (pi, r) in p.enumerated() {
                                    let d2 = (m.0 - r.0) * (m.0 - r.0) + (m.1 - r.1) * (m.1 - r.1)
                                    if d2 <= bestD2 { bestD2 = d2; bestTrack = pi }
                                }
                                guard bestTrack >= 0 else { continue }
                                if let other = claimedBy[bestTrack] {
                                    if distance[other] <= bestD2 { continue }
                                    assignment[other] = nil
                                    distance[other] = .infinity
                                }
                                claimedBy[bestTrack] = ti
                                assignment[ti] = bestTrack
                                distance[ti] = bestD2
                            }
                            var matched = 0, residual = 0.0, support = 0.0
                            for ti in t.indices {
                                guard let pi = assignment[ti] else { continue }
                                matched += 1
                                residual += distance[ti].squareRoot()
                                support += Double(p[pi].2)
                            }
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
