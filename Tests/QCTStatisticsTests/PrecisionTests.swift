import XCTest
@testable import QCTStatistics

/// Precision figures against the domain reference (§5) and against values
/// computed independently with SciPy 1.17.1 (scipy.stats.f_oneway,
/// linregress, chi2.ppf; Welch's F by its textbook formula in NumPy).
final class PrecisionTests: XCTestCase {
    /// The reference table (ESP on QCT1–QCT3): per-vertebra mean and SD in, overall SD and CV out.
    func testReferenceTableOverallSDAndCV() {
        let table: [(scanner: String, means: [Double], sds: [Double], cvs: [Double], overallSD: Double, overallCV: Double)] = [
            ("QCT1", [51.24, 99.75, 185.95], [0.414, 0.463, 0.780], [0.807, 0.464, 0.419], 0.575, 0.512),
            ("QCT2", [53.75, 103.36, 195.95], [0.361, 0.572, 0.820], [0.671, 0.553, 0.420], 0.613, 0.5215),
            ("QCT3", [54.40, 109.15, 210.21], [0.531, 0.460, 0.858], [0.976, 0.421, 0.408], 0.640, 0.514),
        ]
        for row in table {
            // n is not printed; any equal n gives the same pooled figures.
            let sites = zip(["L1", "L2", "L3"], zip(row.means, row.sds)).map { SiteStatistics(name: $0.0, nominal: nil, n: 10, mean: $0.1.0, sd: $0.1.1) }
            let p = PrecisionSummary(sites: sites)
            XCTAssertEqual(p.rmsSD, row.overallSD, accuracy: 0.002, row.scanner)
            // QCT2's printed 0.523 came from unrounded data; its rounded inputs give 0.5215 (domain reference §5).
            XCTAssertEqual(p.overallCVPercent, row.overallCV, accuracy: 0.002, row.scanner)
            for (s, cv) in zip(p.sites, row.cvs) { XCTAssertEqual(s.cvPercent, cv, accuracy: 0.002, "\(row.scanner) \(s.name)") }
        }
        // QCT1 to four places, as the reference states them: 0.5757 and 0.5126 %.
        let q1 = PrecisionSummary(sites: zip([51.24, 99.75, 185.95], [0.414, 0.463, 0.780]).map { SiteStatistics(name: "", nominal: nil, n: 5, mean: $0, sd: $1) })
        XCTAssertEqual(q1.rmsSD, 0.5757, accuracy: 0.00005)
        XCTAssertEqual(q1.overallCVPercent, 0.5126, accuracy: 0.00005)
        XCTAssertEqual(q1.lsc, 2.77 * q1.rmsSD, accuracy: 1e-12)
    }

    func testConfidenceFactorsOfThePrecisionEstimate() {
        // Domain reference §5: df 14 → 0.769–1.460; 27 → 0.820–1.293; 30 → 0.828–1.274; 45 → 0.854–1.212.
        let expected: [(Int, Double, Double)] = [(14, 0.769, 1.460), (27, 0.820, 1.293), (30, 0.828, 1.274), (45, 0.854, 1.212)]
        for (df, lo, hi) in expected {
            let f = PrecisionSummary.confidenceFactors(df: df)
            XCTAssertEqual(f.0, lo, accuracy: 0.0006, "df \(df)")
            XCTAssertEqual(f.1, hi, accuracy: 0.0006, "df \(df)")
        }
        // SciPy: sqrt(14 / chi2.ppf(0.95, 14)) = 0.7688280798603714.
        XCTAssertEqual(PrecisionSummary.confidenceFactors(df: 14).0, 0.7688280798603714, accuracy: 1e-9)
        XCTAssertEqual(Distributions.chiSquareQuantile(0.95, df: 7.5), 14.791162353525857, accuracy: 1e-8)
        XCTAssertEqual(Distributions.chiSquareCDF(3.3, df: 4), 0.49106774215500126, accuracy: 1e-12)
        XCTAssertEqual(Distributions.tQuantile(0.975, df: 9), 2.262157162798205, accuracy: 1e-8)
        XCTAssertEqual(Distributions.tTwoSided(2.5, df: 12), 0.02791539957132524, accuracy: 1e-12)
    }

    func testPooledSDWithUnequalRepeats() {
        // Site a: 1, 2, 3 (Σ(x − x̄)² = 2, df 2); site b: 10, 14 (8, df 1): √(10 / 3).
        let p = PrecisionSummary(sites: [SiteStatistics(name: "a", nominal: nil, readings: [1, 2, 3]),
                                         SiteStatistics(name: "b", nominal: nil, readings: [10, 14])])
        XCTAssertEqual(p.df, 3)
        XCTAssertEqual(p.rmsSD, (10.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(p.grandMean, 7, accuracy: 1e-12)
        // RMS-CV: CVs 50 % and 2√2/12·100 %.
        let cvB = (8.0).squareRoot() / 12 * 100
        XCTAssertEqual(p.rmsCVPercent, ((50 * 50 + cvB * cvB) / 2).squareRoot(), accuracy: 1e-9)
        let s = SiteStatistics(name: "L1", nominal: 50, readings: [49, 51, 53])
        XCTAssertEqual(s.bias ?? .nan, 1, accuracy: 1e-12)
        XCTAssertEqual(s.biasPercent ?? .nan, 2, accuracy: 1e-12)
    }

    func testAnovaWelchRegressionAndBlandAltmanAgainstSciPy() throws {
        let groups = [[51.1, 51.6, 50.9, 51.3, 51.0], [53.9, 53.4, 54.1, 53.7], [54.2, 55.1, 54.6, 53.9, 54.8, 54.4]]
        let a = try XCTUnwrap(OneWayANOVA(groups))
        XCTAssertEqual(a.f, 127.84152457372059, accuracy: 1e-9)
        XCTAssertEqual(a.p, 8.116377764495416e-09, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(a.welchF), 141.19353868881572, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(a.welchDF2), 7.6348082870454315, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(a.welchP), 9.330476669740531e-07, accuracy: 1e-13)

        let r = try XCTUnwrap(Regression(x: [50, 100, 200], y: [51.24, 99.75, 185.95]))
        XCTAssertEqual(r.intercept, 8.140000000000015, accuracy: 1e-9)
        XCTAssertEqual(r.slope, 0.8929142857142855, accuracy: 1e-12)
        XCTAssertEqual(r.r, 0.9995508023710458, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.see), 2.891766637492434, accuracy: 1e-9)
        XCTAssertEqual(r.inverse(r.intercept + r.slope * 123), 123, accuracy: 1e-9)

        let ba = try XCTUnwrap(BlandAltman(a: [1.0, 2.0, 3.5, 4.0], b: [1.5, 2.4, 3.1, 4.6]))
        XCTAssertEqual(ba.bias, 0.2749999999999999, accuracy: 1e-12)
        XCTAssertEqual(ba.sdDifference, 0.45734742446707466, accuracy: 1e-12)
        XCTAssertEqual(ba.lowerLimit, -0.6214009519554664, accuracy: 1e-12)
    }
}
