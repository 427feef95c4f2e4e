import Foundation

/// A rod of known radius located on the mean image of its slices by the
/// contrast between its disk and a band just outside its edge — the matched
/// filter for a uniform disk in a locally uniform surround.
///
/// Only phantom pixels count, and none within two pixels of air: a rod close
/// to the face of a thin pad keeps its band of pad between rod and air, and
/// the air beyond cannot pull the disk towards or away from the face.
struct DiskReading: Sendable {
    /// Centre (column, row) on the image, pixels.
    var i: Double
    var j: Double
    /// Mean of the disk (radius − 1 px) and median of the band outside the edge, HU.
    var inside: Double
    var outside: Double
    /// Pixels in the disk and the band.
    var insideCount: Int
    var outsideCount: Int
    /// Robust SD (1.4826 MAD) of single pixels in the band, HU.
    var outsideSD: Double
    var contrast: Double { inside - outside }
}

struct DiskFitter {
    let image: SlabImage
    /// The slice pixel (column, row) of the image's first pixel: positions are read and given in
    /// slice pixels, so an image of part of a slice (`PixelRegion`) reads like the whole slice
    /// wherever a disk and its band lie inside it.
    let origin: (column: Int, row: Int)
    /// Pixels that are phantom (≥ −400 HU) with no air within two pixels.
    private let usable: [Bool]

    init(_ image: SlabImage, origin: (column: Int, row: Int) = (0, 0)) {
        self.image = image
        self.origin = origin
        let c = image.columns, r = image.rows
        let solid = image.pixels.map { $0 >= -400 }
        // Erode by two pixels: separable minimum over a 5 × 5 window.
        usable = Self.erode(Self.erode(solid, columns: c, rows: r, step: 1, count: c), columns: c, rows: r, step: c, count: r)
    }

    /// True where `mask` holds at every pixel within two steps along one axis (`step` 1: rows, `columns`: columns);
    /// `count` pixels along that axis.
    static func erode(_ mask: [Bool], columns c: Int, rows r: Int, step: Int, count: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: c * r)
        for k in 0..<(c * r) {
            let along = step == 1 ? k % c : k / c
            var ok = true
            for d in -2...2 {
                let p = along + d
                if p < 0 || p >= count || !mask[k + d * step] { ok = false; break }
            }
            out[k] = ok
        }
        return out
    }

    /// Band outside the edge: from radius + 1.5 px to radius + max(3 px, 0.3 radius) (+1.5 px).
    static func band(_ radius: Double) -> (Double, Double) {
        let inner = radius + 1.5
        return (inner, inner + max(3, 0.3 * radius))
    }

    /// Disk and band statistics with the centre at (x, y), radius in pixels; nil when less than
    /// 80 % of the disk or 30 % of the band is usable phantom.
    func read(_ x: Double, _ y: Double, radius: Double) -> DiskReading? {
        let c = image.columns, r = image.rows, (ox, oy) = origin
        let din = max(0.75, radius - 1)
        let (bin, bout) = Self.band(radius)
        let j0 = max(oy, Int((y - bout).rounded(.down))), j1 = min(oy + r - 1, Int((y + bout).rounded(.up)))
        let i0 = max(ox, Int((x - bout).rounded(.down))), i1 = min(ox + c - 1, Int((x + bout).rounded(.up)))
        guard j1 >= j0, i1 >= i0 else { return nil }
        var si = 0.0, ni = 0
        var band: [Double] = []
        let din2 = din * din, bin2 = bin * bin, bout2 = bout * bout
        for j in j0...j1 {
            let dy = Double(j) - y
            for i in i0...i1 {
                let dx = Double(i) - x
                let d2 = dx * dx + dy * dy
                let k = (j - oy) * c + (i - ox)
                guard d2 <= bout2, usable[k] else { continue }
                let v = image.pixels[k]
                if d2 <= din2 { si += v; ni += 1 } else if d2 >= bin2 { band.append(v) }
            }
        }
        let diskArea = Double.pi * din2, bandArea = Double.pi * (bout2 - bin2)
        guard Double(ni) >= 0.8 * diskArea, Double(band.count) >= 0.3 * bandArea, ni > 0, band.count > 1 else { return nil }
        // Median and MAD: a couch or a patient reaching into part of the band does not move them.
        let mo = Self.select(&band, band.count / 2)
        for k in band.indices { band[k] = abs(band[k] - mo) }
        let sd = 1.4826 * Self.select(&band, band.count / 2)
        return DiskReading(i: x, j: y, inside: si / Double(ni), outside: mo, insideCount: ni, outsideCount: band.count, outsideSD: sd)
    }

    /// The k-th smallest value (Hoare's selection; reorders `v`): a median without a full sort.
    static func select(_ v: inout [Double], _ k: Int) -> Double {
        var lo = 0, hi = v.count - 1
        while lo < hi {
            let pivot = v[(lo + hi) / 2]
            var i = lo, j = hi
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j { v.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
        return v[k]
    }

    /// The centre within `reach` pixels of (x, y) whose contrast, times `sign` (+1 bright, −1 dark),
    /// is largest: a 0.5-pixel grid, then 0.1 pixel around the best.
    func fit(_ x: Double, _ y: Double, radius: Double, reach: Double, sign: Double) -> DiskReading? {
        var best: DiskReading?
        func consider(_ cx: Double, _ cy: Double) {
            guard let d = read(cx, cy, radius: radius) else { return }
            if best == nil || sign * d.contrast > sign * best!.contrast { best = d }
        }
        let n = Int((reach / 0.5).rounded(.up))
        for dj in -n...n { for di in -n...n where Double(di * di + dj * dj) * 0.25 <= reach * reach {
            consider(x + 0.5 * Double(di), y + 0.5 * Double(dj))
        } }
        guard let coarse = best else { return nil }
        for dj in -5...5 { for di in -5...5 { consider(coarse.i + 0.1 * Double(di), coarse.j + 0.1 * Double(dj)) } }
        return best
    }
}
