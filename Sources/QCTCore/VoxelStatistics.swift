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

    /// Count, mean and sum of squared deviations of one part of the data,
    /// mergeable (Chan, Golub & LeVeque 1979, pairwise update).
    public struct Partial: Sendable {
        public var count = 0
        public var mean = 0.0
        public var m2 = 0.0
        public var min = Double.infinity
        public var max = -Double.infinity

        public init() {}
        public init(count: Int, mean: Double, m2: Double, min: Double, max: Double) {
            self.count = count
            self.mean = mean
            self.m2 = m2
            self.min = min
            self.max = max
        }

        public mutating func merge(_ o: Partial) {
            guard o.count > 0 else { return }
            guard count > 0 else { self = o; return }
            let n = Double(count + o.count)
            let delta = o.mean - mean
            mean += delta * Double(o.count) / n
            m2 += o.m2 + delta * delta * Double(count) * Double(o.count) / n
            count += o.count
            min = Swift.min(min, o.min)
            max = Swift.max(max, o.max)
        }

        public var result: VoxelStatistics {
            VoxelStatistics(count: count, mean: count > 0 ? mean : .nan,
                            sd: count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0,
                            min: count > 0 ? min : .nan, max: count > 0 ? max : .nan)
        }
    }
}
