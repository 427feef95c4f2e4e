import XCTest
@testable import QCTStatistics

/// Each control rule on hand-made sequences (domain reference §7).
final class ControlRulesTests: XCTestCase {
    /// Target 100, SD 2; the ±1.5 % Shewhart limit only where a test asks for it.
    let limits = ControlLimits(target: 100, sd: 2, percentLimit: nil)

    func judge(_ x: Double, history: [Double] = [], cusum: CusumState = CusumState(), limits l: ControlLimits? = nil) -> RuleJudgement {
        ControlRules.judge(x, limits: l ?? limits, history: history, cusum: cusum)
    }

    func testSingleValueRules() {
        XCTAssertEqual(judge(101).state, .inControl)
        let w = judge(104.5)                         // z 2.25
        XCTAssertEqual(w.state, .warning)
        XCTAssertEqual(w.fired, ["1_2s"])
        let percent = ControlLimits(target: 100, sd: 2, percentLimit: 0.015)
        let r = judge(93.5, limits: percent)         // z −3.25, and 6.5 % off target
        XCTAssertEqual(r.state, .outOfControl)
        XCTAssertTrue(r.fired.contains("1_3s") && r.fired.contains("Shewhart"))
        // Shewhart ±1.5 %: 1.6 % off with a wide SD fires alone.
        let wide = ControlLimits(target: 100, sd: 10, percentLimit: 0.015)
        XCTAssertEqual(judge(101.6, limits: wide).fired, ["Shewhart"])
        XCTAssertEqual(judge(101.4, limits: wide).fired, [])
    }

    func testConsecutiveRules() {
        XCTAssertTrue(judge(104.4, history: [2.1]).fired.contains("2_2s"))
        XCTAssertFalse(judge(104.4, history: [-2.1]).fired.contains("2_2s"))
        XCTAssertTrue(judge(104.4, history: [-2.1]).fired.contains("R_4s"))
        XCTAssertTrue(judge(102.4, history: [1.5, 1.1, 1.9]).fired.contains("4_1s"))
        XCTAssertFalse(judge(102.4, history: [1.5, 0.9, 1.9]).fired.contains("4_1s"))
        XCTAssertTrue(judge(100.2, history: Array(repeating: 0.3, count: 9)).fired.contains("10_x"))
        XCTAssertFalse(judge(99.8, history: Array(repeating: 0.3, count: 9)).fired.contains("10_x"))
        // Secondary metrics: no multirule, and a firing rule only warns.
        let secondary = ControlLimits(target: 100, sd: 2, percentLimit: nil, multirule: false, primary: false)
        XCTAssertEqual(judge(104.4, history: [2.1], limits: secondary).fired, ["1_2s"])
        let s3 = judge(107, limits: secondary)
        XCTAssertEqual(s3.state, .warning)
        XCTAssertTrue(s3.fired.contains("1_3s"))
    }

    func testTabularCusum() {
        // z = +1 each day, k = 0.5, h = 5: C⁺ = 0.5, 1.0, … exceeds 5 on day 11, then restarts.
        var c = CusumState()
        var day = 0
        for d in 1...20 {
            let j = judge(102, cusum: c)
            c = j.cusum
            if j.fired.contains("CUSUM+") { day = d; break }
            XCTAssertEqual(c.upper, 0.5 * Double(d), accuracy: 1e-12)
            XCTAssertEqual(c.lower, 0, accuracy: 1e-12)
        }
        XCTAssertEqual(day, 11)
        XCTAssertEqual(c, CusumState())
        // A value rejected by another rule does not enter the sums.
        let carried = CusumState(upper: 0.5, lower: 0)
        let rejected = judge(106.6, cusum: carried)  // z 3.3: 1₃s; C⁺ would be 3.3, below h
        XCTAssertEqual(rejected.fired, ["1_3s"])
        XCTAssertEqual(rejected.cusum, carried)
    }

    func testBaselineSDFactorAgainstSciPy() {
        // sqrt(14 / chi2.ppf(0.10, 14)) * t.ppf(0.99865, 14) / 3 * sqrt(1 + 1/15), SciPy 1.17.1.
        let expected = (14 / 7.789533609752369).squareRoot() * 3.63576286793768 / 3 * (1 + 1.0 / 15).squareRoot()
        XCTAssertEqual(ControlLimits.sdFactor(n: 15), expected, accuracy: 1e-6)
        XCTAssertEqual(ControlLimits.sdFactor(n: 2), 1)
        XCTAssertLessThan(ControlLimits.sdFactor(n: 1000), 1.07)
    }
}
