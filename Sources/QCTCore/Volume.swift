import Dispatch

/// A CT volume: stored values, their per-slice modality LUT, padding and geometry.
///
/// Values are kept as the file stored them (`stored`, slice-major, then row,
/// then column) so nothing is lost; `hu(at:)` applies the slice's rescale in
/// double precision. Padding voxels are excluded from every statistic.
public struct Volume: Sendable {
    public var geometry: VolumeGeometry
    /// Stored values, index = k·rows·columns + j·columns + i.
    public var stored: [Int32]
    /// Modality LUT of each slice (count = geometry.slices).
    public var rescale: [Rescale]
    /// Stored values that mark padding, if the series declares any.
    public var padding: PaddingRange?

    public init(geometry: VolumeGeometry, stored: [Int32], rescale: [Rescale], padding: PaddingRange?) {
        precondition(stored.count == geometry.voxelCount, "stored count must match geometry")
        precondition(rescale.count == geometry.slices, "one rescale per slice")
        self.geometry = geometry
        self.stored = stored
        self.rescale = rescale
        self.padding = padding
    }

    /// HU of the voxel at a linear index.
    @inline(__always)
    public func hu(at index: Int) -> Double {
        rescale[index / geometry.voxelsPerSlice].apply(stored[index])
    }

    /// HU of voxel (i, j, k).
    public func hu(column i: Int, row j: Int, slice k: Int) -> Double {
        rescale[k].apply(stored[(k * geometry.rows + j) * geometry.columns + i])
    }

    /// True when the voxel at a linear index is padding.
    @inline(__always)
    public func isPadding(at index: Int) -> Bool {
        guard let padding else { return false }
        return padding.contains(stored[index])
    }

    /// Whole-volume HU statistics over non-padding voxels: each slice
    /// two-pass on its own core, slices merged with Chan et al.'s formula.
    public func statistics() -> VoxelStatistics {
        let n = geometry.voxelsPerSlice
        let parts = UnsafeMutableBufferPointer<VoxelStatistics.Partial>.allocate(capacity: geometry.slices)
        defer { parts.deallocate() }
        let box = SharedBuffer(parts)
        DispatchQueue.concurrentPerform(iterations: geometry.slices) { k in
            box.buffer[k] = sliceStatistics(k, n)
        }
        var total = VoxelStatistics.Partial()
        for p in parts { total.merge(p) }
        return total.result
    }

    private func sliceStatistics(_ k: Int, _ n: Int) -> VoxelStatistics.Partial {
        let r = rescale[k]
        let range = (k * n)..<((k + 1) * n)
        var count = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        for i in range {
            let s = stored[i]
            if let padding, padding.contains(s) { continue }
            let h = r.apply(s)
            count += 1
            sum += h
            if h < lo { lo = h }
            if h > hi { hi = h }
        }
        guard count > 0 else { return VoxelStatistics.Partial() }
        let mean = sum / Double(count)
        var m2 = 0.0
        for i in range {
            let s = stored[i]
            if let padding, padding.contains(s) { continue }
            let d = r.apply(s) - mean
            m2 += d * d
        }
        return VoxelStatistics.Partial(count: count, mean: mean, m2: m2, min: lo, max: hi)
    }
}


extension Volume {
    /// Every voxel's HU as float32, slices converted in parallel. Exact for
    /// integer HU (all CT with integer rescale); padding voxels keep their value.
    public func huFloat32() -> [Float] {
        let n = geometry.voxelsPerSlice
        return [Float](unsafeUninitializedCapacity: stored.count) { buffer, count in
            LargeBuffer.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            let box = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: geometry.slices) { k in
                let r = rescale[k]
                stored.withUnsafeBufferPointer { src in
                    for i in (k * n)..<((k + 1) * n) { box.buffer[i] = Float(r.apply(src[i])) }
                }
            }
            count = stored.count
        }
    }
}

