import Dispatch
import QCTCore

/// A rectangle of unbinned pixels: column and row ranges of a slice.
struct PixelRegion: Sendable, Equatable {
    var columns: Range<Int>
    var rows: Range<Int>

    /// The pixels within `margin` of the box spanned by `points` (column, row), clipped to a
    /// `columns` × `rows` image; nil when nothing is left.
    init?(around points: [(Double, Double)], margin: Double, columns: Int, rows: Int) {
        guard !points.isEmpty else { return nil }
        let i0 = max(0, Int((points.map(\.0).min()! - margin).rounded(.down)))
        let i1 = min(columns, Int((points.map(\.0).max()! + margin).rounded(.up)) + 1)
        let j0 = max(0, Int((points.map(\.1).min()! - margin).rounded(.down)))
        let j1 = min(rows, Int((points.map(\.1).max()! + margin).rounded(.up)) + 1)
        guard i1 > i0, j1 > j0 else { return nil }
        self.columns = i0..<i1
        self.rows = j0..<j1
    }

    init(columns: Range<Int>, rows: Range<Int>) {
        self.columns = columns
        self.rows = rows
    }
}

/// The mean HU of a run of consecutive slices (padding counted as air), binned.
struct SlabImage: Sendable {
    let columns: Int
    let rows: Int
    let pixels: [Double]
    /// Below this a pixel counts as air.
    static let airBelow = -800.0

    /// Mean of `slices`, binned `bin` × `bin` (edge pixels beyond a whole bin dropped).
    ///
    /// Stored values are summed as integers over each run of slices that share one rescale (exact:
    /// stored values fit 32 bits, so 64-bit sums of fewer than 2³¹ of them cannot overflow), and
    /// turned into HU once per run; padding voxels count as air (−1000 HU).
    /// With `region` (unbinned only), just that part of the slices: pixel (0, 0) is the region's first
    /// column and row.
    init(volume v: Volume, slices: ClosedRange<Int>, bin: Int = 1, region: PixelRegion? = nil) {
        let g = v.geometry
        let f = region == nil ? max(1, bin) : 1
        let columns = region?.columns.count ?? g.columns / f, rows = region?.rows.count ?? g.rows / f
        let sum = v.samples.visit(SlabSum(volume: v, slices: slices, bin: f, columns: columns, rows: rows,
                                          firstColumn: region?.columns.lowerBound ?? 0, firstRow: region?.rows.lowerBound ?? 0))
        self.init(columns: columns, rows: rows, pixels: sum)
    }

    /// An image of `pixels` (row-major).
    init(columns: Int, rows: Int, pixels: [Double]) {
        self.columns = columns
        self.rows = rows
        self.pixels = pixels
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
        return 1.4826 * DiskFitter.select(&diffs, diffs.count / 2) / 2.0.squareRoot()
    }
}

extension SlabImage {
    /// The mean of `slices` at full resolution, summed in parallel over chunks of the range.
    /// With `region`, just that part of the slices.
    static func mean(_ v: Volume, slices: ClosedRange<Int>, region: PixelRegion? = nil) -> SlabImage {
        let chunks = max(1, min(slices.count, 8))
        let per = (slices.count + chunks - 1) / chunks
        let parts = stride(from: slices.lowerBound, through: slices.upperBound, by: per).map { $0...min(slices.upperBound, $0 + per - 1) }
        let images = build(v, slabs: parts, bin: 1, region: region)
        guard images.count > 1 else { return images[0] }
        var pixels = [Double](repeating: 0, count: images[0].pixels.count)
        for (part, image) in zip(parts, images) {
            let w = Double(part.count) / Double(slices.count)
            for k in pixels.indices { pixels[k] += w * image.pixels[k] }
        }
        return SlabImage(columns: images[0].columns, rows: images[0].rows, pixels: pixels)
    }

    /// One image per slab, built in parallel.
    static func build(_ v: Volume, slabs: [ClosedRange<Int>], bin: Int, region: PixelRegion? = nil) -> [SlabImage] {
        var out = [SlabImage?](repeating: nil, count: slabs.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: slabs.count) { s in
                shared.buffer[s] = SlabImage(volume: v, slices: slabs[s], bin: bin, region: region)
            }
        }
        return out.map { $0! }
    }
}

extension SlabImage {
    /// A run of slices sharing one rescale, as summed HU: `sum` of the stored values of its
    /// `voxels` − `padded` voxels, the padded ones counted as air (−1000 HU). One formula for the
    /// slab images and for the points read from the volume (`SlabPoints`), so both agree bit for bit.
    @inline(__always)
    static func runHU(sum: Int64, padded: Double, voxels: Double, rescale: Rescale) -> Double {
        rescale.slope * Double(sum) + rescale.intercept * (voxels - padded) - 1000 * padded
    }
}

/// The summing loop of `SlabImage`, compiled for each stored width.
private struct SlabSum: VoxelSampleVisitor {
    let volume: Volume
    let slices: ClosedRange<Int>
    let bin: Int
    let columns: Int, rows: Int
    let firstColumn: Int, firstRow: Int

    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) -> [Double] {
        let v = volume, g = v.geometry, f = bin
        let n = g.voxelsPerSlice
        let count = columns * rows
        var sum = [Double](repeating: 0, count: count)
        var raw = [Int64](repeating: 0, count: count)
        var padded = [Int32](repeating: 0, count: v.padding == nil ? 0 : count)
        let usedRows = rows * f
        var run = 0
        var current = v.rescale[slices.lowerBound]
        sum.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeMutableBufferPointer { acc in
                padded.withUnsafeMutableBufferPointer { pads in
                    func flush() {
                        guard run > 0 else { return }
                        let perPixel = Double(run * f * f)
                        for o in 0..<count {
                            out[o] += SlabImage.runHU(sum: acc[o], padded: pads.isEmpty ? 0 : Double(pads[o]), voxels: perPixel, rescale: current)
                            acc[o] = 0
                            if !pads.isEmpty { pads[o] = 0 }
                        }
                        run = 0
                    }
                    for k in slices {
                        if v.rescale[k] != current {
                            flush()
                            current = v.rescale[k]
                        }
                        run += 1
                        for j in 0..<usedRows {
                            let row = k * n + (firstRow + j) * g.columns + firstColumn, o = (j / f) * columns
                            if let pad = v.padding {
                                for c in 0..<columns {
                                    for i in (c * f)..<(c * f + f) {
                                        let x = Int32(stored[row &+ i])
                                        if pad.contains(x) { pads[o &+ c] &+= 1 } else { acc[o &+ c] &+= Int64(x) }
                                    }
                                }
                            } else if f == 1 {
                                for i in 0..<columns { acc[o &+ i] &+= Int64(stored[row &+ i]) }
                            } else if f == 2 {
                                for c in 0..<columns { acc[o &+ c] &+= Int64(stored[row &+ 2 &* c]) &+ Int64(stored[row &+ 2 &* c &+ 1]) }
                            } else {
                                for c in 0..<columns {
                                    var a: Int64 = 0
                                    for i in (c &* f)..<(c &* f &+ f) { a &+= Int64(stored[row &+ i]) }
                                    acc[o &+ c] &+= a
                                }
                            }
                        }
                    }
                    flush()
                    let voxels = Double(slices.count * f * f)
                    for o in 0..<count { out[o] /= voxels }
                }
            }
        }
        return sum
    }
}
