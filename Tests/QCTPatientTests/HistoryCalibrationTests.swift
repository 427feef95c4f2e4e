import QCTPhantoms
import QCTTestSupport
import XCTest

@testable import QCTPatient

/// Choosing an asynchronous calibration from the QC history (domain reference §3).
final class HistoryCalibrationTests: XCTestCase {
    static let catalog = PhantomCatalog.load(directories: [TestRepository.phantoms.path])

    var tolerances: PatientPolicy.HistoryCalibration {
        get throws { try XCTUnwrap(Self.catalog.patientPolicy).historyCalibration }
    }

    func calibration(_ id: Int64, _ acquired: String, serial: String = "SN1", kvp: Double = 120, kernel: String = "B30f",
                     diameter: Double = 500, table: Double = 150, state: String = "in control", status: String = "pass",
                     slope: Double = 0.8) -> StoredCalibration {
        StoredCalibration(resultID: id, scanner: "QCT1", deviceSerialNumber: serial, acquired: acquired, phantom: "mindways-model3-ct",
                          certificate: "4541A", analysisVersion: "test", state: state, calibrationStatus: status, kvp: kvp, kernel: kernel,
                          reconstructionDiameterMM: diameter, tableHeightMM: table, sigmaCT: 1 / slope, betaCT: -10, slope: slope, intercept: 8)
    }

    let need = CalibrationNeed(deviceSerialNumber: "SN1", kvp: 120, kernel: "B30f", reconstructionDiameterMM: 500, tableHeightMM: 150,
                               acquired: "2026-03-10T09:00:00")

    func testTheLatestPassingMatchBeforeTheScanIsChosen() throws {
        let candidates = [
            calibration(1, "2026-03-05T08:00:00"),
            calibration(2, "2026-03-09T08:00:00"),
            calibration(3, "2026-03-10T08:00:00", state: "out of control"),
            calibration(4, "2026-03-10T07:00:00", kernel: "B60f"),
            calibration(5, "2026-03-10T07:30:00", table: 175),
            calibration(6, "2026-03-10T07:45:00", serial: "SN2"),
            calibration(7, "2026-03-11T08:00:00"),
        ]
        let choice = try HistoryCalibrationChoice.choose(from: candidates, for: need, tolerances: try tolerances).get()
        XCTAssertEqual(choice.calibration.resultID, 2)
        XCTAssertEqual(choice.ageDays, 25.0 / 24, accuracy: 1e-9)
        XCTAssertEqual(choice.maxAgeDays, 7)
        // Only one after the scan: it is taken, with a negative age.
        let after = try HistoryCalibrationChoice.choose(from: [candidates[6]], for: need, tolerances: try tolerances).get()
        XCTAssertEqual(after.calibration.resultID, 7)
        XCTAssertEqual(after.ageDays, -23.0 / 24, accuracy: 1e-9)
    }

    func testWithinTolerancesMatches() throws {
        // Table height and reconstruction diameter within 10 mm, kVp within 0.5 kV.
        let near = calibration(1, "2026-03-09T08:00:00", kvp: 120.4, diameter: 509, table: 141)
        XCTAssertEqual(try HistoryCalibrationChoice.choose(from: [near], for: need, tolerances: try tolerances).get().calibration.resultID, 1)
    }

    func testRefusalNamesWhatEachCandidateFailedOn() throws {
        let candidates = [
            calibration(1, "2026-02-01T08:00:00"),
            calibration(2, "2026-03-09T08:00:00", kvp: 100),
            calibration(3, "2026-03-09T09:00:00", diameter: 350, status: "fail"),
        ]
        switch HistoryCalibrationChoice.choose(from: candidates, for: need, tolerances: try tolerances) {
        case .success(let c): XCTFail("chose \(c.calibration.resultID)")
        case .failure(let r):
            let text = r.description
            XCTAssertTrue(text.contains("none of the 3 phantom calibrations"), text)
            XCTAssertTrue(text.contains("37 days before the scan, more than 7"), text)
            XCTAssertTrue(text.contains("kVp 100 is not 120 ± 0.5"), text)
            XCTAssertTrue(text.contains("did not pass QC (in control, fit fail)"), text)
            XCTAssertTrue(text.contains("reconstruction diameter 350 mm is not 500 ± 10 mm"), text)
        }
        // A longer --max-age admits the old one.
        let old = try HistoryCalibrationChoice.choose(from: candidates, for: need, tolerances: try tolerances, maxAgeDays: 40).get()
        XCTAssertEqual(old.calibration.resultID, 1)
        // An empty history, and a series without a serial, are refused with their own reasons.
        XCTAssertTrue("\(HistoryCalibrationChoice.choose(from: [], for: need, tolerances: try tolerances))".contains("holds no phantom calibration"))
        var anonymous = need
        anonymous.deviceSerialNumber = nil
        XCTAssertTrue("\(HistoryCalibrationChoice.choose(from: candidates, for: anonymous, tolerances: try tolerances))".contains("Device Serial Number"))
    }

    func testUnknownAcquisitionValuesNeverMatch() throws {
        var c = calibration(1, "2026-03-09T08:00:00")
        c.tableHeightMM = nil
        XCTAssertThrowsError(try HistoryCalibrationChoice.choose(from: [c], for: need, tolerances: try tolerances).get())
    }
}
