/// Ordinary least-squares line y = slope · x + intercept, with the figures a
/// calibration report needs.
public struct LinearFit: Hashable, Codable, Sendable {
    public var slope: Double
    public var intercept: Double
    /// Pearson correlation coefficient r.
    public var r: Double
    /// Coefficient of determination r².
    public var r2: Double
    /// Standard error of the estimate, sqrt(Σ residual² / (n − 2)), in y units.
    public var see: Double
    /// Standard errors of slope and intercept.
    public var slopeStandardError: Double
    public var interceptStandardError: Double
    /// y − (slope · x + intercept) for each point, in input order.
    public var residuals: [Double]
    public var n: Int

    /// Fits at least two points with distinct x; nil otherwise.
    public init?(x: [Double], y: [Double]) {
        let n = x.count
        guard n == y.count, n >= 2 else { return nil }
        let mx = x.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for i in 0..<n {
            let dx = x[i] - mx, dy = y[i] - my
            sxx += dx * dx
            sxy += dx * dy
            syy += dy * dy
        }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx
        intercept = my - slope * mx
        r = syy > 0 ? sxy / (sxx * syy).squareRoot() : 1
        r2 = r * r
        let b = slope, a = intercept
        let res = (0..<n).map { y[$0] - (b * x[$0] + a) }
        residuals = res
        let sse = res.reduce(0) { $0 + $1 * $1 }
        let s = n > 2 ? (sse / Double(n - 2)).squareRoot() : 0
        see = s
        slopeStandardError = s / sxx.squareRoot()
        interceptStandardError = s * (1 / Double(n) + mx * mx / sxx).squareRoot()
        self.n = n
    }
}
