import QCTCore

/// The mean HU of a run of consecutive slices (padding counted as air),
/// with a summed-area table for constant-time box means.
struct SlabImage: Sendable {
    let columns: Int
    let rows: Int
    /// First and last slice index (inclusive).
    let slices: ClosedRange<Int>
    let pixels: [Double]
    /// Summed-area table, (rows + 1) × (columns + 1).
    let integral: [Double]

    /// Pixels of the volume per slab pixel along each axis (binning).
    let bin: Int

    /// Mean of `slices`, binned `bin` × `bin` (edge pixels beyond a whole bin dropped).
    init(volume v: Volume, slices: ClosedRange<Int>, bin: Int = 1) {
        let g = v.geometry
        self.bin = max(1, bin)
        let f = self.bin
        columns = g.columns / f
        rows = g.rows / f
        self.slices = slices
        let n = g.voxelsPerSlice
        var sum = [Double](repeating: 0, count: columns * rows)
        for k in slices {
            let r = v.rescale[k]
            for j in 0..<(rows * f) {
                let row = k * n + j * g.columns, out = (j / f) * columns
                for i in 0..<(columns * f) {
                    let s = v.stored[row + i]
                    sum[out + i / f] += (v.padding?.contains(s) ?? false) ? -1000 : r.apply(s)
                }
            }
        }
        let count = Double(slices.count * f * f)
        pixels = sum.map { $0 / count }
        var table = [Double](repeating: 0, count: (rows + 1) * (columns + 1))
        for j in 0..<rows {
            var rowSum = 0.0
            for i in 0..<columns {
                rowSum += pixels[j * columns + i]
                table[(j + 1) * (columns + 1) + i + 1] = table[j * (columns + 1) + i + 1] + rowSum
            }
        }
        integral = table
    }

    /// Mean over the box [i0, i1] × [j0, j1] (inclusive, clipped to the image).
    @inline(__always)
    func boxMean(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> Double {
        let a = max(0, i0), b = max(0, j0), c = min(columns - 1, i1), d = min(rows - 1, j1)
        guard c >= a, d >= b else { return 0 }
        let w = columns + 1
        let s = integral[(d + 1) * w + c + 1] - integral[b * w + c + 1] - integral[(d + 1) * w + a] + integral[b * w + a]
        return s / Double((c - a + 1) * (d - b + 1))
    }

    /// Robust noise SD of single pixels: MAD of horizontal neighbour differences / √2.
    func noiseSD() -> Double {
        var diffs: [Double] = []
        diffs.reserveCapacity(rows * columns / 4)
        var j = 1
        while j < rows - 1 {
            var i = 1
            while i < columns - 1 {
                let a = pixels[j * columns + i], b = pixels[j * columns + i + 1]
                if a > -900, b > -900 { diffs.append(abs(a - b)) }
                i += 2
            }
            j += 2
        }
        guard !diffs.isEmpty else { return 1 }
        diffs.sort()
        return 1.4826 * diffs[diffs.count / 2] / 2.0.squareRoot()
    }
}
