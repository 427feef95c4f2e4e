import Foundation

/// Daily QC control rules on one metric (domain reference §7): Shewhart
/// ±1.5 % limits, the Westgard multirule and a tabular CUSUM (Page 1954).
public struct ControlLimits: Codable, Hashable, Sendable {
    /// Baseline mean (the target) and SD, in the metric's unit.
    public var target: Double
    public var sd: Double
    /// Shewhart limit as a fraction of the target (0.015), or nil where a
    /// percentage of the value means nothing (offsets, HU near 0).
    public var percentLimit: Double?
    /// CUSUM reference value k and decision interval h, in SDs.
    public var cusumK: Double
    public var cusumH: Double
    /// The whole Westgard multirule (2₂s, R₄s, 4₁s, 10ₓ) besides 1₂s, 1₃s
    /// and CUSUM; false for secondary metrics, whose many correlated
    /// streams would otherwise multiply false alarms.
    public var multirule: Bool
    /// Secondary metrics warn when a rule fires; only primary ones put a result out of control.
    public var primary: Bool

    public init(target: Double, sd: Double, percentLimit: Double?, cusumK: Double = 0.5, cusumH: Double = 5, multirule: Bool = true, primary: Bool = true) {
        self.target = target
        self.primary = primary
        self.sd = sd
        self.multirule = multirule
        self.percentLimit = percentLimit
        self.cusumK = cusumK
        self.cusumH = cusumH
    }
}

extension ControlLimits {
    /// How much wider than the baseline's sample SD the rules' SD is, for a
    /// baseline of n scans: the 90 % upper confidence bound of σ,
    /// √((n − 1)/χ²(0.10, n − 1)), times the prediction widening of a new value,
    /// t(0.99865, n − 1)/3 · √(1 + 1/n). 1.68 for n = 15, 1.41 for 25, → 1.
    /// A 15-scan SD is often low by chance; without this, stable simulated
    /// scanners raised 1–9 false alarm days in 60 (mean 3), with it 0–1.
    public static func sdFactor(n: Int) -> Double {
        guard n >= 3 else { return 1 }
        let df = Double(n - 1)
        let upper = (df / Distributions.chiSquareQuantile(0.10, df: df)).squareRoot()
        return upper * Distributions.tQuantile(0.99865, df: df) / 3 * (1 + 1 / Double(n)).squareRoot()
    }
}

/// The CUSUM sums carried from one result to the next, in SDs.
public struct CusumState: Codable, Hashable, Sendable {
    public var upper = 0.0
    public var lower = 0.0
    public init(upper: Double = 0, lower: Double = 0) {
        self.upper = upper
        self.lower = lower
    }
}

/// In control, warning (1₂s only) or out of control.
public enum ControlState: String, Codable, Sendable, Comparable {
    case baseline = "baseline"
    case inControl = "in control"
    case warning
    case outOfControl = "out of control"

    var rank: Int {
        switch self {
        case .baseline: return 0
        case .inControl: return 1
        case .warning: return 2
        case .outOfControl: return 3
        }
    }
    public static func < (a: ControlState, b: ControlState) -> Bool { a.rank < b.rank }
}

/// What the rules said of one value.
public struct RuleJudgement: Codable, Hashable, Sendable {
    /// (x − target) / SD.
    public var z: Double
    public var state: ControlState
    /// Rules that fired, e.g. ["1_3s", "CUSUM+"].
    public var fired: [String]
    /// The CUSUM sums after this value (reset to 0 after an alarm).
    public var cusum: CusumState
}

public enum ControlRules {
    /// The most of a metric's past z values any rule reads (10ₓ: this value and the nine before).
    public static let lookback = 9

    /// Judges `value` given the z-scores of the earlier accepted values under
    /// the same baseline (oldest first) and the CUSUM sums before it.
    ///
    /// Rules (Westgard et al., Clin Chem 1981; domain reference §7):
    /// 1₂s |z| > 2 (warning); 1₃s |z| > 3; 2₂s this and the previous beyond the
    /// same 2 SD limit; R₄s this and the previous beyond opposite 2 SD limits
    /// (range > 4 SD); 4₁s four consecutive beyond the same 1 SD limit; 10ₓ
    /// ten consecutive on one side of the target (these four only with
    /// `multirule`); Shewhart |x − T| > 1.5 % of T; CUSUM C⁺ = max(0, C⁺ + z − k),
    /// C⁻ = max(0, C⁻ − z − k), alarm when either exceeds h, then both restart
    /// at 0. Values rejected by another rule do not enter the sums.
    public static func judge(_ value: Double, limits: ControlLimits, history: [Double], cusum: CusumState) -> RuleJudgement {
        let z = limits.sd > 0 ? (value - limits.target) / limits.sd : (value == limits.target ? 0 : .infinity * (value - limits.target).sign())
        var fired: [String] = []
        var reject = false
        if abs(z) > 3 { fired.append("1_3s"); reject = true }
        if limits.multirule, let p = history.last {
            if (z > 2 && p > 2) || (z < -2 && p < -2) { fired.append("2_2s"); reject = true }
            if (z > 2 && p < -2) || (z < -2 && p > 2) { fired.append("R_4s"); reject = true }
        }
        let last3 = history.suffix(3)
        if limits.multirule && last3.count == 3 && ((z > 1 && last3.allSatisfy { $0 > 1 }) || (z < -1 && last3.allSatisfy { $0 < -1 })) {
            fired.append("4_1s"); reject = true
        }
        let last9 = history.suffix(lookback)
        if limits.multirule && last9.count == 9 && ((z > 0 && last9.allSatisfy { $0 > 0 }) || (z < 0 && last9.allSatisfy { $0 < 0 })) {
            fired.append("10_x"); reject = true
        }
        if let p = limits.percentLimit, abs(value - limits.target) > p * abs(limits.target) {
            fired.append("Shewhart"); reject = true
        }
        var c = cusum
        if z.isFinite {
            c.upper = max(0, c.upper + z - limits.cusumK)
            c.lower = max(0, c.lower - z - limits.cusumK)
        }
        if c.upper > limits.cusumH { fired.append("CUSUM+"); reject = true; c = CusumState() }
        else if c.lower > limits.cusumH { fired.append("CUSUM-"); reject = true; c = CusumState() }
        let warning = abs(z) > 2
        if warning && !fired.contains("1_3s") { fired.insert("1_2s", at: 0) }
        let state: ControlState = reject ? (limits.primary ? .outOfControl : .warning) : warning ? .warning : .inControl
        // A value rejected by another rule is not carried into the sums (it was acted on).
        if reject && !fired.contains(where: { $0.hasPrefix("CUSUM") }) { c = cusum }
        return RuleJudgement(z: z, state: state, fired: fired, cusum: c)
    }
}

private extension Double {
    func sign() -> Double { self < 0 ? -1 : 1 }
}
