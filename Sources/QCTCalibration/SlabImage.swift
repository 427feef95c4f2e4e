import QCTCore

/// The mean HU of a run of consecutive slices (padding counted as air),
/// binned, with a summed-area table for constant-time box means
/// (`RodCandidateFinder` reads it).
struct SlabImage: Sendable {
    let columns: Int
    let rows: Int
    let pixels: [Double]
    /// Summed-area table, (rows + 1) × (columns + 1).
    let integral: [Double]

    /// Mean of `slices`, binned `bin` × `bin` (edge pixels beyond a whole bin dropped).
    init(volume v: Volume, slices: ClosedRange<Int>, bin: Int = 1) {
        let g = v.geometry
        let f = max(1, bin)
        columns = g.columns / f
        rows = g.rows / f
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
