import QCTCalibration
import QCTStatistics
import XCTest

/// The golden vector of the domain reference §3.
final class MindwaysCalibrationTests: XCTestCase {
    let rods = [
        MindwaysCalibration.Rod(name: "E", k2hpo4: 375.83, water: 923.20, hu: 462.936),
        MindwaysCalibration.Rod(name: "D", k2hpo4: 157.05, water: 1119.52, hu: 345.738),
        MindwaysCalibration.Rod(name: "C", k2hpo4: 58.88, water: 1103.57, hu: 176.712),
        MindwaysCalibration.Rod(name: "B", k2hpo4: -53.40, water: 1056.95, hu: -35.378),
        MindwaysCalibration.Rod(name: "A", k2hpo4: -51.83, water: 1012.25, hu: -69.549),
    ]

    func testGoldenVector() throws {
        let c = try XCTUnwrap(MindwaysCalibration(rods: rods))
        XCTAssertEqual(c.sigmaRef, 1.466958, accuracy: 1e-5)
        XCTAssertEqual(c.betaRef, -1009.750, accuracy: 1e-3)
        XCTAssertEqual(c.fit.r, 0.999853, accuracy: 1e-5)
        XCTAssertEqual(c.sigmaCT, 1.249558, accuracy: 1e-5)
        XCTAssertEqual(c.betaCT, -10.150, accuracy: 1e-3)
        XCTAssertEqual(c.slope, 0.800283, accuracy: 1e-5)
        // The stated inputs give 8.122827 (numpy.polyfit agrees); the reference's
        // 8.122907 matches that to 1e-5 relative, not absolute.
        XCTAssertEqual(c.intercept, 8.122907, accuracy: 1e-5 * 8.122907)
        XCTAssertEqual(c.intercept, 8.122827, accuracy: 1e-6)
        for (hu, bmd) in [(50.0, 48.14), (100, 88.15), (150, 128.17), (200, 168.18)] {
            XCTAssertEqual(c.bmd(hu: hu), bmd, accuracy: 0.005)
        }
        for (r, expected) in zip(c.fit.residuals, [-1.84, 5.58, -3.48, -4.24, 3.98]) {
            XCTAssertEqual(r, expected, accuracy: 0.005)
        }
    }

    func testNaiveSingleRegressionIsWorse() throws {
        // Ignoring water gives R² ≈ 0.91 on the same data (domain reference §3 pitfall).
        let naive = try XCTUnwrap(LinearFit(x: rods.map(\.k2hpo4), y: rods.map(\.hu)))
        XCTAssertEqual(naive.r2, 0.91, accuracy: 0.01)
    }

    func testTooFewRodsGiveNoFit() {
        XCTAssertNil(MindwaysCalibration(rods: Array(rods.prefix(1))))
        XCTAssertNil(LinearFit(x: [1, 1], y: [2, 3]))
    }
}
