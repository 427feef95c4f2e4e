import Dispatch

/// A CT volume: stored values, their per-slice modality LUT, padding and geometry.
///
/// Values are kept as the file stored them, at its width (`samples`, slice-major,
/// then row, then column) so nothing is lost and nothing is widened; `hu(at:)` applies the slice's rescale in
/// double precision. Padding voxels are excluded from every statistic.
public struct Volume: Sendable {
    public var geometry: VolumeGeometry
    /// Stored values at their native width, index = k·rows·columns + j·columns + i.
    public let samples: VoxelSamples
    /// `samples`' memory and width, held here so a voxel read touches no reference count.
    private let base: SamplesPointer
    private let width: VoxelSamples.Width
    /// Modality LUT of each slice (count = geometry.slices).
    public var rescale: [Rescale]
    /// Stored values that mark padding, if the series declares any.
    public var padding: PaddingRange?

    public init(geometry: VolumeGeometry, samples: VoxelSamples, rescale: [Rescale], padding: PaddingRange?) {
        precondition(samples.count == geometry.voxelCount, "stored count must match geometry")
        precondition(rescale.count == geometry.slices, "one rescale per slice")
        self.geometry = geometry
        self.samples = samples
        (base, width) = (SamplesPointer(samples.base), samples.width)
        self.rescale = rescale
        self.padding = padding
    }

    /// A volume of 32-bit stored values, kept at the narrowest width that holds them.
    public init(geometry: VolumeGeometry, stored: [Int32], rescale: [Rescale], padding: PaddingRange?) {
        self.init(geometry: geometry, samples: VoxelSamples(narrowing: stored), rescale: rescale, padding: padding)
    }

    /// The stored value at a linear index.
    @inline(__always)
    public func stored(at index: Int) -> Int32 {
        precondition(index >= 0 && index < geometry.voxelCount, "voxel index out of range")
        switch width {
        case .int16: return Int32(base.pointer.load(fromByteOffset: 2 &* index, as: Int16.self))
        case .uint16: return Int32(base.pointer.load(fromByteOffset: 2 &* index, as: UInt16.self))
        case .int32: return base.pointer.load(fromByteOffset: 4 &* index, as: Int32.self)
        }
    }

    /// HU of the voxel at a linear index.
    @inline(__always)
    public func hu(at index: Int) -> Double {
        rescale[index / geometry.voxelsPerSlice].apply(stored(at: index))
    }

    /// HU of voxel (i, j, k).
    public func hu(column i: Int, row j: Int, slice k: Int) -> Double {
        rescale[k].apply(stored(at: (k * geometry.rows + j) * geometry.columns + i))
    }

    /// True when the voxel at a linear index is padding.
    @inline(__always)
    public func isPadding(at index: Int) -> Bool {
        guard let padding else { return false }
        return padding.contains(stored(at: index))
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
        samples.visit(SliceStatistics(range: (k * n)..<((k + 1) * n), rescale: rescale[k], padding: padding))
    }
}

/// One slice's HU count, mean, M2, min and max over non-padding voxels (two passes).
private struct SliceStatistics: VoxelSampleVisitor {
    let range: Range<Int>
    let rescale: Rescale
    let padding: PaddingRange?

    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) -> VoxelStatistics.Partial {
        var count = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        for i in range {
            let s = Int32(stored[i])
            if let padding, padding.contains(s) { continue }
            let h = rescale.apply(s)
            count += 1
            sum += h
            if h < lo { lo = h }
            if h > hi { hi = h }
        }
        guard count > 0 else { return VoxelStatistics.Partial() }
        let mean = sum / Double(count)
        var m2 = 0.0
        for i in range {
            let s = Int32(stored[i])
            if let padding, padding.contains(s) { continue }
            let d = rescale.apply(s) - mean
            m2 += d * d
        }
        return VoxelStatistics.Partial(count: count, mean: mean, m2: m2, min: lo, max: hi)
    }
}

extension Volume {
    /// Every voxel's HU as float32, slices converted in parallel. Exact for
    /// integer HU (all CT with integer rescale); padding voxels keep their value.
    public func huFloat32() -> HUFloat32 {
        HUFloat32(count: geometry.voxelCount) { buffer in
            samples.visit(FloatHU(volume: self, out: SharedBuffer(buffer)))
        }
    }
}

/// Fills a float32 HU buffer from the stored values, one slice per task.
private struct FloatHU: VoxelSampleVisitor {
    let volume: Volume
    let out: SharedBuffer<Float>

    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) {
        let n = volume.geometry.voxelsPerSlice
        let src = SharedConstBuffer(stored)
        DispatchQueue.concurrentPerform(iterations: volume.geometry.slices) { k in
            volume.rescale[k].float32HU(UnsafeBufferPointer(rebasing: src.buffer[(k * n)..<((k + 1) * n)]),
                                        into: UnsafeMutableBufferPointer(rebasing: out.buffer[(k * n)..<((k + 1) * n)]))
        }
    }
}

/// The read-only memory of a volume's samples, kept alive by the `VoxelSamples` beside it.
private struct SamplesPointer: @unchecked Sendable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
}
