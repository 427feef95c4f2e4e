import QCTPhantoms
import QCTTestSupport
import XCTest

@testable import QCTPatient

/// ACR categories, follow-up and least significant change against the domain reference (§5, §8, §13).
final class ClinicalReportingTests: XCTestCase {
    static let catalog = PhantomCatalog.load(directories: [TestRepository.phantoms.path])

    var policy: PatientPolicy {
        get throws { try XCTUnwrap(Self.catalog.patientPolicy, "patient-policy.json did not load: \(Self.catalog.errors)") }
    }

    func testCategoryBoundariesAt80And120AreBothLowBMD() throws {
        let t = try policy.categories
        XCTAssertEqual(SpineCategory.of(80, t), .lowBMD)
        XCTAssertEqual(SpineCategory.of(120, t), .lowBMD)
        XCTAssertEqual(SpineCategory.of(79.999, t), .osteoporosis)
        XCTAssertEqual(SpineCategory.of(120.001, t), .normal)
        XCTAssertEqual(SpineCategory.of(100, t), .lowBMD)
        XCTAssertEqual(SpineCategory.of(34, t), .osteoporosis)
        XCTAssertEqual(SpineCategory.of(180, t), .normal)
        XCTAssertNil(SpineCategory.of(.nan, t), "an unknown BMD has no category")
        XCTAssertEqual(SpineCategory.lowBMD.range(t), "80–120 mg/cm³")
        XCTAssertTrue(SpineCategory.noTScore.contains("no T-score"))
    }

    func testFollowUpOfTheSourcesExample() throws {
        // Domain reference §13: L1 34 → 50 mg/cm³ is +47 % (16 / 34 = 47.06 %).
        let lsc = LeastSignificantChange(study: "QCT1 ESP", precisionMgPerCm3: 0.575, factor: try policy.lscFactor)
        XCTAssertEqual(lsc.lscMgPerCm3, 2.77 * 0.575, accuracy: 1e-12)
        let f = try XCTUnwrap(FollowUp(earlier: 34, current: 50, lsc: lsc))
        XCTAssertEqual(f.changeMgPerCm3, 16, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(f.changePercent), 47.1, accuracy: 0.05)
        XCTAssertEqual(try XCTUnwrap(f.changePercent), 100.0 * 16 / 34, accuracy: 1e-12)
        XCTAssertEqual(f.significant, true)
        // A change inside the LSC is not significant, in either direction.
        XCTAssertEqual(FollowUp(earlier: 100, current: 101.5, lsc: lsc)?.significant, false)
        XCTAssertEqual(FollowUp(earlier: 100, current: 98.5, lsc: lsc)?.significant, false)
        XCTAssertEqual(FollowUp(earlier: 100, current: 98.3, lsc: lsc)?.significant, true)
        // Without a named precision study there is no verdict, and no NaN.
        let none = try XCTUnwrap(FollowUp(earlier: 34, current: 50, lsc: nil))
        XCTAssertNil(none.significant)
        XCTAssertNil(FollowUp(earlier: .nan, current: 50, lsc: nil))
        let zero = try XCTUnwrap(FollowUp(earlier: 0, current: 5, lsc: nil))
        XCTAssertNil(zero.changePercent)
        XCTAssertNotNil(zero.percentMissing)
    }

    func testPolicyProblemsAreNamed() throws {
        var p = try policy
        p.categories.osteoporosisBelow = 130
        p.internalCalibration.tissues[0].material = "unobtainium"
        let problems = p.problems(materials: Set(Self.catalog.materials.keys))
        XCTAssertTrue(problems.contains { $0.0 == "categories" }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.0 == "internalCalibration.tissues[0].material" }, "\(problems)")
        XCTAssertTrue(try policy.problems(materials: Set(Self.catalog.materials.keys)).isEmpty)
    }
}
