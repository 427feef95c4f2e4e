import QCTCore

/// Mean, median and sample SD (n − 1) of an ROI's voxels, HU: the
/// accumulator of `VoxelStatistics` plus the median. Rods and vertebrae alike.
struct ROIStatistics {
    var count: Int
    var mean: Double
    var median: Double
    var sd: Double

    /// `values` is sorted in place for the median (NaN when empty).
    init(_ values: inout [Double]) {
        var acc = VoxelStatistics.Accumulator()
        values.forEach { acc.add($0) }
        let s = acc.result
        count = s.count
        mean = s.mean
        sd = s.sd
        values.sort()
        median = values.isEmpty ? .nan
            : values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
    }
}
