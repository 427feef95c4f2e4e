import Foundation

/// Mean, SD and CV of one site's repeated readings.
public struct SiteStatistics: Codable, Hashable, Sendable {
    public var name: String
    /// Certified or nominal value, in the readings' unit (nil when none).
    public var nominal: Double?
    public var n: Int
    public var mean: Double
    /// Sample SD (n − 1).
    public var sd: Double
    /// CV% = SD / mean · 100.
    public var cvPercent: Double
    /// Mean − nominal, and as % of nominal (accuracy against the certificate).
    public var bias: Double?
    public var biasPercent: Double?
    public var readings: [Double]

    public init(name: String, nominal: Double?, readings: [Double]) {
        self.name = name
        self.nominal = nominal
        self.readings = readings
        n = readings.count
        mean = readings.reduce(0, +) / Double(max(n, 1))
        let m = mean
        sd = n > 1 ? (readings.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot() : 0
        cvPercent = mean != 0 ? sd / mean * 100 : .nan
        if let nominal {
            bias = mean - nominal
            biasPercent = nominal != 0 ? (mean - nominal) / nominal * 100 : nil
        }
    }

    /// From published summary figures (mean, SD, n) without the readings.
    public init(name: String, nominal: Double?, n: Int, mean: Double, sd: Double) {
        self.init(name: name, nominal: nominal, readings: [])
        self.n = n
        self.mean = mean
        self.sd = sd
        cvPercent = mean != 0 ? sd / mean * 100 : .nan
        bias = nominal.map { mean - $0 }
        biasPercent = nominal.flatMap { $0 != 0 ? (mean - $0) / $0 * 100 : nil }
    }
}

/// Short-term precision over several sites (Glüer et al., Osteoporos Int
/// 1995; ISCD), domain reference §5.
public struct PrecisionSummary: Codable, Hashable, Sendable {
    public var sites: [SiteStatistics]
    /// Root-mean-square SD pooled over sites: √(ΣΣ(x − x̄)² / Σ(n − 1)), the
    /// RMS of the SDs when every n is equal.
    public var rmsSD: Double
    /// Mean of the site means.
    public var grandMean: Double
    /// Overall CV% = RMS-SD / grand mean · 100 (the reference table's "overall CV%").
    public var overallCVPercent: Double
    /// RMS-CV% = √(Σ CV² / m) (Glüer's relative precision).
    public var rmsCVPercent: Double
    /// Degrees of freedom Σ(n − 1).
    public var df: Int
    /// 90 % confidence interval of RMS-SD: RMS-SD·√(df/χ²₀.₉₅) … RMS-SD·√(df/χ²₀.₀₅).
    public var rmsSDCI90: [Double]
    /// Least significant change (95 %), 2.77 × RMS-SD, in the readings' unit; and 2.77 × overall CV%.
    public var lsc: Double
    public var lscPercent: Double

    public init(sites: [SiteStatistics]) {
        self.sites = sites
        let dfs = sites.map { max($0.n - 1, 0) }
        df = dfs.reduce(0, +)
        if df > 0 {
            let ss = zip(sites, dfs).map { $0.0.sd * $0.0.sd * Double($0.1) }.reduce(0, +)
            rmsSD = (ss / Double(df)).squareRoot()
        } else {
            rmsSD = .nan
        }
        let m = Double(max(sites.count, 1))
        grandMean = sites.map(\.mean).reduce(0, +) / m
        overallCVPercent = rmsSD / grandMean * 100
        rmsCVPercent = (sites.map { $0.cvPercent * $0.cvPercent }.reduce(0, +) / m).squareRoot()
        let factors = PrecisionSummary.confidenceFactors(df: df)
        rmsSDCI90 = [rmsSD * factors.0, rmsSD * factors.1]
        lsc = 2.77 * rmsSD
        lscPercent = 2.77 * overallCVPercent
    }

    /// Multipliers of a precision estimate for its 90 % confidence interval:
    /// √(df/χ²(0.95, df)) and √(df/χ²(0.05, df)).
    public static func confidenceFactors(df: Int) -> (Double, Double) {
        guard df > 0 else { return (.nan, .nan) }
        let d = Double(df)
        return ((d / Distributions.chiSquareQuantile(0.95, df: d)).squareRoot(),
                (d / Distributions.chiSquareQuantile(0.05, df: d)).squareRoot())
    }
}
