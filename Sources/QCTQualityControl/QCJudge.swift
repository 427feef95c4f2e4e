import Foundation
import QCTStatistics

/// A completed baseline's statistics of one metric: mean, SD (n − 1, floored) and n.
public struct BaselineStatistic: Codable, Hashable, Sendable {
    public var mean: Double
    public var sd: Double
    public var n: Int
    public init(mean: Double, sd: Double, n: Int) {
        self.mean = mean
        self.sd = sd
        self.n = n
    }

    /// Mean, SD with n − 1 and n of `values`; the SD is floored at 0.1 % of |mean| (at least 0.001)
    /// so identical values do not make every change infinite.
    public init(values: [Double]) {
        let st = SiteStatistics(name: "", nominal: nil, readings: values)
        self.init(mean: st.mean, sd: max(st.sd, 0.001 * max(abs(st.mean), 1)), n: st.n)
    }
}

/// What the rules need to know about one metric's past under its baseline: the z of the results
/// judged in control or warning before (not those that fired 1₃s), and the CUSUM sums carried
/// from the last judged result.
public struct MetricHistory: Hashable, Sendable {
    public var zs: [Double]
    public var cusum: CusumState
    public init(zs: [Double] = [], cusum: CusumState = CusumState(upper: 0, lower: 0)) {
        self.zs = zs
        self.cusum = cusum
    }
}

/// The judgement of one QC result: each metric's, the worst state, the rules fired, and the CUSUM
/// sums to carry.
public struct QCJudgement: Sendable {
    public var state: ControlState
    /// "metric: rule" for every rule that fired.
    public var fired: [String]
    public var metrics: [QCMetricJudgement]
    public var cusums: [String: CusumState]
}

/// Judges a QC result against its baseline (domain reference §7): no store, no clock, no I/O.
/// A baseline still being collected judges nothing (state "baseline"); a completed one gives
/// each judged metric its target and SD (widened for a small baseline, `ControlLimits.sdFactor`),
/// the Shewhart percentage limit of the policy, the Westgard multirule for primary metrics,
/// and a tabular CUSUM with k = 0.5 SD and h = `cusumH` (at most 4 for secondary metrics).
public enum QCJudge {
    /// `baseline`: nil while the baseline is being collected. `history`: each judged metric's past.
    public static func judge(_ metrics: [QCMetric], baseline: [String: BaselineStatistic]?, history: [String: MetricHistory],
                             cusumH: Double) -> QCJudgement {
        guard let baseline else {
            return QCJudgement(state: .baseline, fired: [], metrics: metrics.map {
                QCMetricJudgement(name: $0.name, unit: $0.unit, value: $0.value, target: nil, sd: nil, z: nil, state: .baseline, fired: [])
            }, cusums: [:])
        }
        var judgements: [QCMetricJudgement] = []
        var cusums: [String: CusumState] = [:]
        var state = ControlState.baseline
        var fired: [String] = []
        for m in metrics {
            guard m.judged, let stat = baseline[m.name] else {
                judgements.append(QCMetricJudgement(name: m.name, unit: m.unit, value: m.value, target: nil, sd: nil, z: nil,
                                                    state: .inControl, fired: []))
                continue
            }
            let l = limits(m, stat, cusumH: cusumH)
            let past = history[m.name] ?? MetricHistory()
            let j = ControlRules.judge(m.value, limits: l, history: past.zs, cusum: past.cusum)
            cusums[m.name] = j.cusum
            judgements.append(QCMetricJudgement(name: m.name, unit: m.unit, value: m.value, target: l.target, sd: l.sd, z: j.z,
                                                state: j.state, fired: j.fired))
            state = max(state, j.state)
            fired += j.fired.map { "\(m.name): \($0)" }
        }
        if state == .baseline { state = .inControl }
        return QCJudgement(state: state, fired: fired, metrics: judgements, cusums: cusums)
    }

    /// The limits one metric is judged under.
    public static func limits(_ m: QCMetric, _ stat: BaselineStatistic, cusumH: Double) -> ControlLimits {
        // Secondary metrics only warn, so they use the sensitive end of the 4–5 SD range for h.
        let h = m.primary ? cusumH : min(cusumH, 4)
        return ControlLimits(target: stat.mean, sd: stat.sd * ControlLimits.sdFactor(n: stat.n), percentLimit: m.percentLimit,
                             cusumK: 0.5, cusumH: h, multirule: m.primary, primary: m.primary)
    }
}
