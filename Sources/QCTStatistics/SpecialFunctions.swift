import Foundation

/// Distribution functions the statistics need: regularized incomplete gamma
/// and beta (continued fractions, Lentz's method; Press et al., Numerical
/// Recipes 3rd ed. §6.2 and §6.4 for the mathematics), and quantiles by
/// bisection on them.
public enum Distributions {
    /// Regularized lower incomplete gamma P(a, x).
    public static func gammaP(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < a + 1 {
            // Series: P = e^{−x} x^a / Γ(a+1) · Σ x^n / ((a+1)…(a+n)).
            var term = 1 / a, sum = term, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return sum * exp(-x + a * log(x) - lgamma(a))
        }
        return 1 - gammaQContinuedFraction(a, x)
    }

    private static func gammaQContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }

    /// Regularized incomplete beta I_x(a, b).
    public static func betaI(_ a: Double, _ b: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(a, b, x) / a }
        return 1 - front * betaContinuedFraction(b, a, 1 - x) / b
    }

    private static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1..<10_000 {
            let m = Double(m)
            var aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    /// Chi-square CDF with `df` degrees of freedom.
    public static func chiSquareCDF(_ x: Double, df: Double) -> Double { gammaP(df / 2, x / 2) }

    /// The p-quantile of the chi-square distribution (bisection to 1e-12 relative).
    public static func chiSquareQuantile(_ p: Double, df: Double) -> Double {
        var lo = 0.0, hi = max(1, df)
        while chiSquareCDF(hi, df: df) < p { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if chiSquareCDF(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * hi { break }
        }
        return (lo + hi) / 2
    }

    /// Upper tail of the F distribution, P(F > f) with (d1, d2) degrees of freedom.
    public static func fSurvival(_ f: Double, d1: Double, d2: Double) -> Double {
        guard f > 0 else { return 1 }
        return betaI(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
    }

    /// Two-sided p-value of Student's t with `df` degrees of freedom.
    public static func tTwoSided(_ t: Double, df: Double) -> Double {
        betaI(df / 2, 0.5, df / (df + t * t))
    }

    /// The p-quantile of Student's t (bisection).
    public static func tQuantile(_ p: Double, df: Double) -> Double {
        guard p != 0.5 else { return 0 }
        if p < 0.5 { return -tQuantile(1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while 1 - tTwoSided(hi, df: df) / 2 < p { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if 1 - tTwoSided(mid, df: df) / 2 < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * hi { break }
        }
        return (lo + hi) / 2
    }
}
