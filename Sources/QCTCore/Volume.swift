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

    /// HU of one slice as double values (padding kept, see `isPadding`).
    public func huSlice(_ k: Int) -> [Double] {
        let n = geometry.voxelsPerSlice
        let r = rescale[k]
        return (0..<n).map { r.apply(stored[k * n + $0]) }
    }

    /// Whole-volume HU statistics over non-padding voxels.
    public func statistics() -> VoxelStatistics {
        var acc = VoxelStatistics.Accumulator()
        let n = geometry.voxelsPerSlice
        for k in 0..<geometry.slices {
            let r = rescale[k]
            for idx in (k * n)..<((k + 1) * n) {
                let s = stored[idx]
                if let padding, padding.contains(s) { continue }
                acc.add(r.apply(s))
            }
        }
        return acc.result
    }
}
