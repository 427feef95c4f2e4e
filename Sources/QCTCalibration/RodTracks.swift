/// A rod candidate followed along z: the verified shapes of one blob in the
/// slabs where it was seen, in patient millimetres.
struct RodTrack: Sendable {
    struct Sighting: Sendable {
        var slab: Int
        var x: Double, y: Double
        var radiusMM: Double
        var insideHU: Double
        var contrast: Double
    }
    var sightings: [Sighting] = []

    var x: Double { median(sightings.map(\.x)) }
    var y: Double { median(sightings.map(\.y)) }
    var radiusMM: Double { median(sightings.map(\.radiusMM)) }
    var insideHU: Double { median(sightings.map(\.insideHU)) }
    var contrast: Double { median(sightings.map(\.contrast)) }
    var slabs: Set<Int> { Set(sightings.map(\.slab)) }
    var firstSlab: Int { sightings.map(\.slab).min() ?? 0 }
    var lastSlab: Int { sightings.map(\.slab).max() ?? 0 }

    func overlaps(_ o: RodTrack) -> Bool { firstSlab <= o.lastSlab && o.firstSlab <= lastSlab }

    /// Joins sightings into tracks: same place (within half a radius, at least
    /// 2 mm), same sign of contrast, one sighting per slab; strongest first.
    static func build(_ sightings: [Sighting]) -> [RodTrack] {
        var tracks: [RodTrack] = []
        var centres: [(Double, Double, Double, Bool)] = []
        for s in sightings.sorted(by: { abs($0.contrast) > abs($1.contrast) }) {
            let bright = s.contrast > 0
            if let t = centres.indices.first(where: { t in
                let c = centres[t]
                let reach = max(2, 0.5 * max(c.2, s.radiusMM))
                return c.3 == bright && (c.0 - s.x) * (c.0 - s.x) + (c.1 - s.y) * (c.1 - s.y) < reach * reach
                    && !tracks[t].sightings.contains { $0.slab == s.slab }
            }) {
                tracks[t].sightings.append(s)
            } else {
                tracks.append(RodTrack(sightings: [s]))
                centres.append((s.x, s.y, s.radiusMM, bright))
            }
        }
        return tracks
    }
}

func median(_ v: [Double]) -> Double {
    guard !v.isEmpty else { return .nan }
    // Selection instead of a sort: after it, everything before the middle is no larger than it.
    var s = v
    let n = s.count
    let upper = DiskFitter.select(&s, n / 2)
    guard n % 2 == 0 else { return upper }
    let lower = s[0..<(n / 2)].max()!
    return 0.5 * (lower + upper)
}
