/// Summary of a set of HU values (padding excluded by the caller).
public struct VoxelStatistics: Hashable, Codable, Sendable {
    /// Number of voxels counted.
    public var count: Int
    /// Mean HU.
    public var mean: Double
    /// Sample standard deviation (n − 1), HU.
    public var sd: Double
    /// Smallest and largest HU.
    public var min: Double
    public var max: Double

    /// Streaming accumulator (Welford's algorithm, numerically stable).
    public struct Accumulator: Sendable {
        var n = 0
        var mean = 0.0
        var m2 = 0.0
        var lo = Double.infinity
        var hi = -Double.infinity

        public init() {}

        @inline(__always)
        public mutating func add(_ x: Double) {
            n += 1
            let d = x - mean
            mean += d / Double(n)
            m2 += d * (x - mean)
            if x < lo { lo = x }
            if x > hi { hi = x }
        }

        public var result: VoxelStatistics {
            VoxelStatistics(count: n, mean: n > 0 ? mean : .nan,
                            sd: n > 1 ? (m2 / Double(n - 1)).squareRoot() : 0,
                            min: n > 0 ? lo : .nan, max: n > 0 ? hi : .nan)
        }
    }
}
