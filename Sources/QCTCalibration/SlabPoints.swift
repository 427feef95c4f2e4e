import QCTCore

/// Points of slab images read straight from the volume, so a search that samples a few hundred
/// points across every slab (does a line between two rods stay in the phantom?) keeps no slab
/// image in memory. A pixel here is bit for bit the pixel `SlabImage(volume:slices:bin:)` makes:
/// stored values summed exactly in integers per run of slices sharing a rescale, turned into HU
/// with the same operations in the same order, padding counted as air.
struct SlabPoints: Sendable {
    let volume: Volume
    let slabs: [ClosedRange<Int>]
    let bin: Int
    /// The binned image's size.
    let columns: Int, rows: Int

    init(volume: Volume, slabs: [ClosedRange<Int>], bin: Int) {
        (self.volume, self.slabs, self.bin) = (volume, slabs, max(1, bin))
        (columns, rows) = (volume.geometry.columns / self.bin, volume.geometry.rows / self.bin)
    }

    /// The mean HU of binned pixel (i, j) over slab `s`.
    func pixel(slab s: Int, _ i: Int, _ j: Int) -> Double {
        let v = volume, g = v.geometry, f = bin, slices = slabs[s]
        var out = 0.0, acc: Int64 = 0, pads = 0, run = 0
        var current = v.rescale[slices.lowerBound]
        func flush() {
            guard run > 0 else { return }
            out += SlabImage.runHU(sum: acc, padded: v.padding == nil ? 0 : Double(pads), voxels: Double(run * f * f), rescale: current)
            (acc, pads, run) = (0, 0, 0)
        }
        for k in slices {
            if v.rescale[k] != current {
                flush()
                current = v.rescale[k]
            }
            run += 1
            for y in (j * f)..<(j * f + f) {
                let row = (k * g.rows + y) * g.columns
                for x in (i * f)..<(i * f + f) {
                    let stored = v.stored(at: row + x)
                    if let pad = v.padding, pad.contains(stored) { pads += 1 } else { acc &+= Int64(stored) }
                }
            }
        }
        flush()
        return out / Double(slices.count * f * f)
    }

    /// `SlabImage.bilinear` of slab `s` at binned-pixel coordinates (x, y).
    func bilinear(slab s: Int, _ x: Double, _ y: Double) -> Double? {
        guard x >= 0, y >= 0, x <= Double(columns - 1), y <= Double(rows - 1) else { return nil }
        let i = min(Int(x), columns - 2), j = min(Int(y), rows - 2)
        let fx = x - Double(i), fy = y - Double(j)
        let a = pixel(slab: s, i, j), b = pixel(slab: s, i + 1, j)
        let c = pixel(slab: s, i, j + 1), d = pixel(slab: s, i + 1, j + 1)
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}
