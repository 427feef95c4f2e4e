import Dispatch
import QCTCore

/// The mean HU of a run of consecutive slices (padding counted as air),
/// binned, with a summed-area table for constant-time box means
/// (`RodCandidateFinder` reads it).
struct SlabImage: Sendable {
    let columns: Int
    let rows: Int
    let pixels: [Double]
    /// Summed-area table of the pixels that are not air (≥ −800 HU), (rows + 1) × (columns + 1).
    let integral: [Double]
    /// Summed-area table of how many pixels are not air.
    let bodyCount: [Int32]
    /// Below this a pixel counts as air.
    static let airBelow = -800.0

    /// Mean of `slices`, binned `bin` × `bin` (edge pixels beyond a whole bin dropped).
    init(volume v: Volume, slices: ClosedRange<Int>, bin: Int = 1) {
        let g = v.geometry
        let f = max(1, bin)
        let columns = g.columns / f, rows = g.rows / f
        let n = g.voxelsPerSlice
        var sum = [Double](repeating: 0, count: columns * rows)
        // Padding never matches when there is none (an empty range above every value).
        let pad = v.padding ?? PaddingRange(Int32.max, Int32.max)
        let noPadding = v.padding == nil
        let cols = g.columns / f, usedRows = (g.rows / f) * f, usedColumns = cols * f
        v.stored.withUnsafeBufferPointer { stored in
            sum.withUnsafeMutableBufferPointer { out in
                for k in slices {
                    let slope = v.rescale[k].slope, intercept = v.rescale[k].intercept
                    for j in 0..<usedRows {
                        let row = k * n + j * g.columns, o = (j / f) * cols
                        if f == 1 {
                            for i in 0..<usedColumns {
                                let x = stored[row + i]
                                out[o + i] += (noPadding || !pad.contains(x)) ? Double(x) * slope + intercept : -1000
                            }
                        } else {
                            for c in 0..<cols {
                                var acc = 0.0
                                for i in (c * f)..<(c * f + f) {
                                    let x = stored[row + i]
                                    acc += (noPadding || !pad.contains(x)) ? Double(x) * slope + intercept : -1000
                                }
                                out[o + c] += acc
                            }
                        }
                    }
                }
            }
        }
        let count = Double(slices.count * f * f)
        self.init(columns: columns, rows: rows, pixels: sum.map { $0 / count })
    }

    /// An image of `pixels` (row-major) with its summed-area tables.
    init(columns: Int, rows: Int, pixels: [Double]) {
        self.columns = columns
        self.rows = rows
        self.pixels = pixels
        var table = [Double](repeating: 0, count: (rows + 1) * (columns + 1))
        var counts = [Int32](repeating: 0, count: (rows + 1) * (columns + 1))
        for j in 0..<rows {
            var rowSum = 0.0
            var rowCount: Int32 = 0
            for i in 0..<columns {
                let v = pixels[j * columns + i]
                if v >= Self.airBelow {
                    rowSum += v
                    rowCount += 1
                }
                table[(j + 1) * (columns + 1) + i + 1] = table[j * (columns + 1) + i + 1] + rowSum
                counts[(j + 1) * (columns + 1) + i + 1] = counts[j * (columns + 1) + i + 1] + rowCount
            }
        }
        integral = table
        bodyCount = counts
    }

    /// Consecutive runs of slices about `thicknessMM` thick covering the volume.
    static func ranges(_ g: VolumeGeometry, thicknessMM: Double) -> [ClosedRange<Int>] {
        let per = max(1, Int((thicknessMM / max(g.sliceSpacing, 1e-6)).rounded()))
        return stride(from: 0, to: g.slices, by: per).map { $0...min(g.slices - 1, $0 + per - 1) }
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

extension SlabImage {
    /// The mean of `slices` at full resolution, summed in parallel over chunks of the range.
    static func mean(_ v: Volume, slices: ClosedRange<Int>) -> SlabImage {
        let chunks = max(1, min(slices.count, 8))
        let per = (slices.count + chunks - 1) / chunks
        let parts = stride(from: slices.lowerBound, through: slices.upperBound, by: per).map { $0...min(slices.upperBound, $0 + per - 1) }
        let images = build(v, slabs: parts, bin: 1)
        guard images.count > 1 else { return images[0] }
        var pixels = [Double](repeating: 0, count: images[0].pixels.count)
        for (part, image) in zip(parts, images) {
            let w = Double(part.count) / Double(slices.count)
            for k in pixels.indices { pixels[k] += w * image.pixels[k] }
        }
        return SlabImage(columns: images[0].columns, rows: images[0].rows, pixels: pixels)
    }

    /// One image per slab, built in parallel.
    static func build(_ v: Volume, slabs: [ClosedRange<Int>], bin: Int) -> [SlabImage] {
        var out = [SlabImage?](repeating: nil, count: slabs.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: slabs.count) { s in
                shared.buffer[s] = SlabImage(volume: v, slices: slabs[s], bin: bin)
            }
        }
        return out.map { $0! }
    }
}
