import QCTQualityControl
import QCTStatistics
import XCTest

/// The pure judge on its own: baseline and history in, judgement out (domain reference §7).
final class QCJudgeTests: XCTestCase {
    /// √(df/χ²₀.₁₀(df)) · t₀.₉₉₈₆₅(df)/3 · √(1 + 1/n) for n = 15, from SciPy 1.17
    /// (stats.chi2.ppf(0.10, 14), stats.t.ppf(0.99865, 14)).
    let factor15 = 1.678019282271968
    let baseline = ["sigmaCT": BaselineStatistic(mean: 1.0, sd: 0.01, n: 15)]

    func metric(_ value: Double, percent: Double? = nil, primary: Bool = true, judged: Bool = true) -> QCMetric {
        QCMetric(name: "sigmaCT", unit: "HU per mg/cm3", value: value, judged: judged, percentLimit: percent, primary: primary)
    }

    func testWhileTheBaselineIsCollectedNothingIsJudged() {
        let j = QCJudge.judge([metric(1.3)], baseline: nil, history: [:], cusumH: 5)
        XCTAssertEqual(j.state, .baseline)
        XCTAssertEqual(j.metrics.map(\.state), [.baseline])
        XCTAssertNil(j.metrics[0].z)
        XCTAssertTrue(j.fired.isEmpty)
    }

    func testTheSDIsWidenedForASmallBaselineAndZFollowsFromIt() throws {
        let value = 1.0 + 2.5 * 0.01 * factor15
        let j = QCJudge.judge([metric(value)], baseline: baseline, history: [:], cusumH: 5)
        let m = j.metrics[0]
        XCTAssertEqual(try XCTUnwrap(m.sd), 0.01 * factor15, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(m.z), 2.5, accuracy: 1e-9)
        XCTAssertEqual(m.target, 1.0)
        XCTAssertEqual(m.fired, ["1_2s"])
        XCTAssertEqual(j.state, .warning)
    }

    func testBeyondThreeSDAPrimaryMetricIsOutOfControlASecondaryOneOnlyWarns() {
        let value = 1.0 + 3.5 * 0.01 * factor15
        let primary = QCJudge.judge([metric(value)], baseline: baseline, history: [:], cusumH: 5)
        XCTAssertEqual(primary.state, .outOfControl)
        XCTAssertEqual(primary.fired, ["sigmaCT: 1_3s"])
        let secondary = QCJudge.judge([metric(value, primary: false)], baseline: baseline, history: [:], cusumH: 5)
        XCTAssertEqual(secondary.state, .warning)
        XCTAssertEqual(secondary.metrics[0].fired, ["1_3s"])
    }

    func testTheShewhartPercentLimitFiresInsideTheSDLimits() throws {
        // 1.6 % above target: beyond ±1.5 %, yet z < 1.
        let j = QCJudge.judge([metric(1.016, percent: 0.015)], baseline: baseline, history: [:], cusumH: 5)
        XCTAssertLessThan(abs(try XCTUnwrap(j.metrics[0].z)), 1)
        XCTAssertEqual(j.metrics[0].fired, ["Shewhart"])
        XCTAssertEqual(j.state, .outOfControl)
        XCTAssertEqual(QCJudge.judge([metric(1.014, percent: 0.015)], baseline: baseline, history: [:], cusumH: 5).state, .inControl)
    }

    func testCUSUMCarriesItsSumsAndASecondaryMetricUsesAtMostFourSD() {
        // C⁺ = 4.2 + z − k with z = 1, k = 0.5: 4.7, under h = 5, over h = 4.
        let history = ["sigmaCT": MetricHistory(zs: [0.5], cusum: CusumState(upper: 4.2, lower: 0))]
        let value = 1.0 + 0.01 * factor15
        let primary = QCJudge.judge([metric(value)], baseline: baseline, history: history, cusumH: 5)
        XCTAssertEqual(primary.state, .inControl)
        XCTAssertEqual(primary.cusums["sigmaCT"]?.upper ?? 0, 4.7, accuracy: 1e-9)
        let secondary = QCJudge.judge([metric(value, primary: false)], baseline: baseline, history: history, cusumH: 5)
        XCTAssertEqual(secondary.metrics[0].fired, ["CUSUM+"])
        XCTAssertEqual(secondary.state, .warning)
        XCTAssertEqual(secondary.cusums["sigmaCT"], CusumState(), "the sums restart after an alarm")
    }

    func testAMetricThatIsNotJudgedIsStoredWithoutLimits() {
        let j = QCJudge.judge([metric(5, judged: false)], baseline: baseline, history: [:], cusumH: 5)
        XCTAssertEqual(j.state, .inControl)
        XCTAssertNil(j.metrics[0].target)
        XCTAssertTrue(j.metrics[0].fired.isEmpty)
    }

    func testTheBaselineSDIsFlooredSoIdenticalValuesDoNotMakeEveryChangeInfinite() {
        let s = BaselineStatistic(values: [2, 2, 2])
        XCTAssertEqual(s.mean, 2)
        XCTAssertEqual(s.sd, 0.002, accuracy: 1e-15)
        XCTAssertEqual(s.n, 3)
        // numpy: mean([0.94, 0.95, 0.93]) = 0.94, std(ddof=1) = 0.01.
        let t = BaselineStatistic(values: [0.94, 0.95, 0.93])
        XCTAssertEqual(t.mean, 0.94, accuracy: 1e-12)
        XCTAssertEqual(t.sd, 0.01, accuracy: 1e-12)
    }
}
