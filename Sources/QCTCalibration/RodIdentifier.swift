import Foundation
import QCTPhantoms

/// Which certified rod each found rod is: candidates are ordered by HU and
/// matched to the order the certificate predicts — for Mindways rods from
/// the two-component model (HU = ρ_water + σ_ref · ρ_K2HPO4 + β_ref) over the
/// plausible σ range, for HA rods monotone in HA, for CT-number plugs by
/// nominal HU. An assignment is accepted only when no fit gate fails; among
/// the accepted, the one with most rods, then the best status, then the
/// smallest standard error wins.
struct RodIdentifier {
    let phantom: PhantomDefinition
    let certificate: Certificate?
    /// Calibration inserts (rods or plugs), in file order.
    let inserts: [PhantomDefinition.Insert]
    /// Certified or nominal values per insert.
    let nominal: [[String: Double]]
    /// Inserts an image can show (a rod of the body's own material cannot be seen).
    let visible: [Int]

    init(phantom: PhantomDefinition, certificate: Certificate?) {
        self.phantom = phantom
        self.certificate = certificate
        inserts = phantom.calibrationInserts
        let quantities = phantom.certificateQuantities
        let values: [[String: Double]] = inserts.map { insert in
            if quantities.isEmpty { return insert.nominal.map { [insert.nominalUnit ?? "HU": $0] } ?? [:] }
            var out: [String: Double] = [:]
            for q in quantities { if let v = certificate?.value(insert: insert.name, quantity: q) { out[q] = v } }
            return out
        }
        nominal = values
        // A rod certified at 0 in a matrix of the body's own material is the body: no image shows it.
        let linear = phantom.calibration == .linear
        let body = phantom.body.composition.material
        let inserts = self.inserts
        visible = values.indices.filter { i in
            let c = inserts[i].composition
            let asBody = body != nil && (c.matrix ?? c.material) == body
            return !(linear && asBody && !values[i].isEmpty && values[i].values.allSatisfy { $0 == 0 })
        }
    }

    /// Orders of the visible inserts by predicted HU, lowest first.
    var predictedOrders: [[Int]] {
        switch phantom.calibration {
        case .mindwaysTwoComponent:
            let k = visible.map { nominal[$0]["K2HPO4"] ?? 0 }, w = visible.map { nominal[$0]["water"] ?? 0 }
            let bands = phantom.effectiveGates
            let lo = bands.slope[0] + MindwaysCalibration.waterDisplacement, hi = bands.slope[1] + MindwaysCalibration.waterDisplacement
            // σ where two rods swap places, inside the band; one order per interval between them.
            var cuts = [lo, hi]
            for a in visible.indices { for b in visible.indices where b > a && k[a] != k[b] {
                let s = (w[b] - w[a]) / (k[a] - k[b])
                if s > lo, s < hi { cuts.append(s) }
            } }
            cuts.sort()
            var sigmas = cuts
            for (a, b) in zip(cuts, cuts.dropFirst()) { sigmas.append(0.5 * (a + b)) }
            var orders = Set<[Int]>()
            for s in sigmas {
                orders.insert(visible.indices.sorted { (w[$0] + s * k[$0], $0) < (w[$1] + s * k[$1], $1) }.map { visible[$0] })
            }
            // Rods that read alike at every σ of the band (the QA phantom's C and D differ by < 1 HU):
            // noise decides their HU rank, so both orders are tried and the layout tells them apart.
            func alike(_ a: Int, _ b: Int) -> Bool {
                let dw = (nominal[a]["water"] ?? 0) - (nominal[b]["water"] ?? 0)
                let dk = (nominal[a]["K2HPO4"] ?? 0) - (nominal[b]["K2HPO4"] ?? 0)
                return abs(dw + lo * dk) <= Self.alikeHU && abs(dw + hi * dk) <= Self.alikeHU
            }
            return Self.withSwaps(orders, alike: alike)
        case .linear, .none:
            let value = { (i: Int) in self.nominal[i].values.first ?? 0 }
            let order = visible.sorted { (value($0), $0) < (value($1), $1) }
            return Self.withSwaps([order], alike: { value($0) == value($1) })
        }
    }

    /// Predicted HU closer than this cannot be ranked by a measurement.
    static let alikeHU = 2.0

    /// The orders, and each with neighbours that read alike swapped.
    static func withSwaps(_ orders: Set<[Int]>, alike: (Int, Int) -> Bool) -> [[Int]] {
        var out = orders
        for order in orders {
            for p in order.indices.dropLast() where alike(order[p], order[p + 1]) {
                var swapped = order
                swapped.swapAt(p, p + 1)
                out.insert(swapped)
            }
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }
    }

    struct Assignment {
        /// Insert index → track index, for the inserts found.
        var tracks: [Int: Int]
        var judgement: FitJudgement
        /// How each insert was identified.
        var how: [Int: String]
    }

    /// The best accepted assignment of `subsets` (track indices) to inserts, or nil.
    ///
    /// Assignments that HU cannot tell apart (same number of rods and status, standard
    /// error within 1 HU of the best) are decided by the template's order of the rods
    /// along the line or around the ring, in either direction: an order, not a position.
    func best(subsets: [[Int]], hu: (Int) -> Double, median: (Int) -> Double,
              position: (Int) -> (Double, Double)) -> (Assignment?, closest: FitJudgement?) {
        let orders = predictedOrders
        var accepted: [(key: (Int, Int), see: Double, a: Assignment)] = []
        var closest: (Int, Double, FitJudgement)?
        for subset in subsets {
            let k = subset.count
            let byHU = subset.sorted { hu($0) < hu($1) }
            combinations(visible.count, k) { present in
                let presentSet = Set(present.map { visible[$0] })
                for order in orders {
                    let chosen = order.filter { presentSet.contains($0) }
                    let points = zip(chosen, byHU).map { ci, t in
                        FitPoint(name: inserts[ci].name, nominal: nominal[ci], hu: hu(t), medianHU: median(t))
                    }
                    let j = FitJudgement.judge(points, phantom: phantom)
                    let failed = j.checks.filter { $0.status == .fail }.count
                    if closest == nil || (failed, j.seeHU) < (closest!.0, closest!.1) { closest = (failed, j.seeHU, j) }
                    guard j.status != .fail else { continue }
                    var tracks: [Int: Int] = [:]
                    for (ci, t) in zip(chosen, byHU) { tracks[ci] = t }
                    accepted.append(((k, -j.status.rankValue), j.seeHU, Assignment(tracks: tracks, judgement: j, how: [:])))
                }
            }
        }
        guard let top = accepted.max(by: { ($0.key.0, $0.key.1, -$0.see) < ($1.key.0, $1.key.1, -$1.see) }) else {
            return (nil, closest?.2)
        }
        // Rods equal in HU within the noise (the QA phantom's C and D) can swap the status of a
        // check that rests on noise: rivals are judged on the rod count and the fit alone.
        let rivals = accepted.filter { $0.key.0 == top.key.0 && $0.see <= top.see + 1 }
        let scored = rivals.map { ($0, orderAgreement($0.a.tracks, position: position)) }
        let chosen = scored.max { ($0.1, $0.0.key.1, -$0.0.see) < ($1.1, $1.0.key.1, -$1.0.see) }!
        var a = chosen.0.a
        let rule: String
        switch phantom.calibration {
        case .mindwaysTwoComponent: rule = "HU rank against the two-component prediction from the certificate"
        case .linear: rule = "HU rank against the certified \(phantom.certificateQuantities.first ?? "value")"
        case .none: rule = "HU rank against the nominal HU"
        }
        let decided = Set(rivals.flatMap { r in a.tracks.keys.filter { r.a.tracks[$0] != a.tracks[$0] } })
        let along = phantom.effectiveLayout.arrangement == .ring ? "around the ring" : "along the line"
        for ci in a.tracks.keys {
            a.how[ci] = decided.contains(ci) ? rule + "; equal in HU to another candidate, told apart by the model's order \(along)" : rule
        }
        return (a, closest?.2)
    }

    /// How well the found rods keep the model's order: along a line, the pairs in the model's
    /// order (either direction); around a ring, the neighbouring pairs that are neighbours in the
    /// model too.
    func orderAgreement(_ tracks: [Int: Int], position: (Int) -> (Double, Double)) -> Int {
        let layout = phantom.effectiveLayout
        guard layout.arrangement != .cluster, tracks.count >= 2 else { return 0 }
        let ids = Array(tracks.keys)
        func sequence(_ p: [(Double, Double)]) -> [Int] {
            let n = Double(p.count)
            let mx = p.map(\.0).reduce(0, +) / n, my = p.map(\.1).reduce(0, +) / n
            if layout.arrangement == .ring {
                return p.indices.sorted { atan2(p[$0].1 - my, p[$0].0 - mx) < atan2(p[$1].1 - my, p[$1].0 - mx) }
            }
            let (ux, uy) = RodLocator.principalAxis(p.map(\.0), p.map(\.1))
            return p.indices.sorted { ux * p[$0].0 + uy * p[$0].1 < ux * p[$1].0 + uy * p[$1].1 }
        }
        let found = sequence(ids.map { position(tracks[$0]!) }).map { ids[$0] }
        // Template order over all calibration inserts, so a missing rod leaves a gap.
        let all = Array(inserts.indices)
        let drawn = sequence(all.map { (inserts[$0].shape.center[0], inserts[$0].shape.center[1]) })
        let rank = Dictionary(uniqueKeysWithValues: drawn.enumerated().map { ($0.element, $0.offset) })
        if layout.arrangement == .line {
            // Pairs in the model's order along the line (either direction): a rod left out leaves a gap, not a tie.
            var up = 0, down = 0
            for a in found.indices { for b in found.indices where b > a {
                if rank[found[b]]! > rank[found[a]]! { up += 1 } else { down += 1 }
            } }
            return max(up, down)
        }
        let cyclic = layout.arrangement == .ring
        func neighbours(_ a: Int, _ b: Int) -> Bool {
            let d = abs(rank[a]! - rank[b]!)
            return d == 1 || (cyclic && d == all.count - 1)
        }
        var score = 0
        for (a, b) in zip(found, found.dropFirst() + (cyclic ? [found[0]] : [])) where a != b && neighbours(a, b) { score += 1 }
        return score
    }
}

extension CalibrationCheck.Status {
    var rankValue: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
}
