#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic random numbers: SplitMix64 (Steele, Lea & Flood 2014).
public struct SplitMix64 {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    /// Standard normal pair (Box–Muller).
    public mutating func normalPair() -> (Double, Double) {
        let r = (-2 * log(uniform())).squareRoot(), t = 2 * Double.pi * uniform()
        return (r * cos(t), r * sin(t))
    }
}

/// In-plane Gaussian blur (the reconstruction kernel) and noise.
enum ImageFilters {
    /// Normalised 1-D Gaussian taps for a FWHM in pixels (3σ radius); [1] when negligible.
    static func gaussianTaps(fwhmPixels: Double) -> [Double] {
        let sigma = fwhmPixels / 2.354_820_045
        guard sigma > 0.05 else { return [1] }
        let radius = Int((3 * sigma).rounded(.up))
        var taps = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let s = taps.reduce(0, +)
        taps = taps.map { $0 / s }
        return taps
    }

    /// Separable convolution with edge clamping, in place.
    static func blur(_ image: inout [Double], columns: Int, rows: Int, taps: [Double]) {
        guard taps.count > 1 else { return }
        let r = taps.count / 2
        var tmp = [Double](repeating: 0, count: image.count)
        for j in 0..<rows {
            let row = j * columns
            for i in 0..<columns {
                var s = 0.0
                for t in -r...r { s += taps[t + r] * image[row + min(max(i + t, 0), columns - 1)] }
                tmp[row + i] = s
            }
        }
        for j in 0..<rows {
            for i in 0..<columns {
                var s = 0.0
                for t in -r...r { s += taps[t + r] * tmp[min(max(j + t, 0), rows - 1) * columns + i] }
                image[j * columns + i] = s
            }
        }
    }

    /// Adds white Gaussian noise whose SD after blurring with `taps` is `sd`.
    static func addNoise(_ image: inout [Double], sd: Double, taps: [Double], rng: inout SplitMix64) {
        guard sd > 0 else { return }
        let gain = taps.reduce(0) { $0 + $1 * $1 }  // 1-D Σk²; 2-D noise gain is (Σk²)
        let pre = sd / gain
        var i = 0
        while i < image.count {
            let (a, b) = rng.normalPair()
            image[i] += pre * a
            if i + 1 < image.count { image[i + 1] += pre * b }
            i += 2
        }
    }
}
