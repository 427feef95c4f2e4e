import Foundation

/// The regression a comparison reports: the least-squares line of
/// `LinearFit`, with SEE left out (nil) when two points leave no degree of freedom.
public struct Regression: Codable, Hashable, Sendable {
    public var n: Int
    public var intercept: Double
    public var slope: Double
    /// Pearson correlation coefficient.
    public var r: Double
    /// Standard error of the estimate √(Σ residual² / (n − 2)), y units (nil for n ≤ 2).
    public var see: Double?

    public init?(x: [Double], y: [Double]) {
        guard let fit = LinearFit(x: x, y: y) else { return nil }
        n = fit.n
        intercept = fit.intercept
        slope = fit.slope
        r = fit.r
        see = fit.n > 2 ? fit.see : nil
    }

    /// x that gives y on this line: (y − intercept) / slope.
    public func inverse(_ y: Double) -> Double { (y - intercept) / slope }
}

/// Bland–Altman agreement of paired readings (b − a): bias, SD of the
/// differences and 95 % limits of agreement (bias ± 1.96 SD).
public struct BlandAltman: Codable, Hashable, Sendable {
    public var n: Int
    public var bias: Double
    public var sdDifference: Double
    public var lowerLimit: Double
    public var upperLimit: Double
    /// Bias as % of the mean of the pair means.
    public var biasPercent: Double
    public var means: [Double]
    public var differences: [Double]

    public init?(a: [Double], b: [Double]) {
        guard a.count == b.count, a.count >= 2 else { return nil }
        n = a.count
        differences = zip(a, b).map { $1 - $0 }
        means = zip(a, b).map { ($0 + $1) / 2 }
        let d = SiteStatistics(name: "", nominal: nil, readings: differences)
        bias = d.mean
        sdDifference = d.sd
        lowerLimit = bias - 1.96 * sdDifference
        upperLimit = bias + 1.96 * sdDifference
        let grand = means.reduce(0, +) / Double(n)
        biasPercent = grand != 0 ? bias / grand * 100 : .nan
    }
}

/// One-way analysis of variance across groups (classic F test) and Welch's
/// heteroscedastic F test (Welch, Biometrika 1951).
public struct OneWayANOVA: Codable, Hashable, Sendable {
    public var groups: Int
    public var f: Double
    public var dfBetween: Double
    public var dfWithin: Double
    public var p: Double
    public var welchF: Double?
    public var welchDF2: Double?
    public var welchP: Double?

    public init?(_ samples: [[Double]]) {
        let k = samples.count
        let total = samples.map(\.count).reduce(0, +)
        guard k >= 2, samples.allSatisfy({ $0.count >= 2 }), total > k else { return nil }
        let stats = samples.map { SiteStatistics(name: "", nominal: nil, readings: $0) }
        let grand = samples.flatMap { $0 }.reduce(0, +) / Double(total)
        let ssb = stats.map { Double($0.n) * ($0.mean - grand) * ($0.mean - grand) }.reduce(0, +)
        let ssw = stats.map { Double($0.n - 1) * $0.sd * $0.sd }.reduce(0, +)
        groups = k
        dfBetween = Double(k - 1)
        dfWithin = Double(total - k)
        f = ssw > 0 ? (ssb / dfBetween) / (ssw / dfWithin) : .infinity
        p = f.isFinite ? Distributions.fSurvival(f, d1: dfBetween, d2: dfWithin) : 0
        // Welch: weights n/s².
        if stats.allSatisfy({ $0.sd > 0 }) {
            let w = stats.map { Double($0.n) / ($0.sd * $0.sd) }
            let sw = w.reduce(0, +)
            let mw = zip(w, stats).map { $0 * $1.mean }.reduce(0, +) / sw
            let a = zip(w, stats).map { $0 * ($1.mean - mw) * ($1.mean - mw) }.reduce(0, +) / Double(k - 1)
            let tmp = zip(w, stats).map { (1 - $0 / sw) * (1 - $0 / sw) / Double($1.n - 1) }.reduce(0, +)
            let kk = Double(k * k - 1)
            let b = 1 + 2 * Double(k - 2) / kk * tmp
            welchF = a / b
            welchDF2 = kk / (3 * tmp)
            welchP = Distributions.fSurvival(a / b, d1: Double(k - 1), d2: kk / (3 * tmp))
        }
    }
}
