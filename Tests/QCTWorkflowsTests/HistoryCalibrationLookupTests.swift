import Foundation
import QCTDICOM
import QCTPatient
import QCTPhantoms
import QCTQualityControl
import QCTStorage
import QCTTestSupport
import QCTWorkflows
import XCTest

/// `--calibration history` in process: record a scanner's daily ESP-on-pad scans, then ask the
/// QC history for the calibration of a later series of the same scanner.
final class HistoryCalibrationLookupTests: XCTestCase {
    func testTheLatestMatchingCalibrationOfTheHistoryIsChosenAndItsFitIsTheStoredOne() throws {
        let root = try WorkflowTests.simulated()
        let catalog = WorkflowTests.catalog
        let tolerances = try XCTUnwrap(catalog.patientPolicy).historyCalibration
        let store = try QCDatabase(path: try TestRepository.temporaryDirectory().appendingPathComponent("qc.sqlite").path)
        let recorder = QCRecorder(recognition: try PhantomRecognition(measurement: try SpineMeasurement(SpineMeasurementOptions(), catalog: catalog)),
                                  store: store)
        let batch = try recorder.record([root.appendingPathComponent("QCT1").path], report: { _ in })
        XCTAssertEqual(batch.outcomes.count, 3)

        // A series of the same scanner and protocol, an hour after the last QC scan.
        let read = SeriesReader.read(paths: [root.appendingPathComponent("QCT1/scan-003").path], decodePixels: false)
        let series = try XCTUnwrap(read.series.first)
        var need = HistoryCalibrationLookup.need(of: series)
        XCTAssertEqual(need.deviceSerialNumber, "SIM-0001")
        let last = try XCTUnwrap(DicomDateTime.seconds(need.acquired))
        need.acquired = isoUTC(last + 3600)
        let choice = try HistoryCalibrationLookup.choose(need, store: store, tolerances: tolerances, maxAgeDays: nil).get()
        XCTAssertEqual(choice.calibration.acquired, DicomDateTime.iso(series.acquisition.acquisitionDateTime))
        XCTAssertEqual(choice.ageDays, 1.0 / 24, accuracy: 1e-6)
        XCTAssertEqual(choice.calibration.kernel, series.acquisition.kernel)
        XCTAssertEqual(choice.calibration.tableHeightMM, series.acquisition.tableHeightMM)
        // Its BMD line is the stored σ_CT and β_CT: BMD = (HU − β_CT) / σ_CT (domain reference §3).
        let points = try store.points(scanner: "QCT1", metric: nil).filter { $0.acquired == choice.calibration.acquired }
        let sigma = try XCTUnwrap(points.first { $0.metric == "sigmaCT" }?.value), beta = try XCTUnwrap(points.first { $0.metric == "betaCT" }?.value)
        XCTAssertEqual(choice.calibration.slope * 150 + choice.calibration.intercept, (150 - beta) / sigma, accuracy: 1e-9)

        // Another kernel: refused, naming the kernel of each candidate.
        var sharp = need
        sharp.kernel = "SHARP"
        guard case .failure(let refusal) = try HistoryCalibrationLookup.choose(sharp, store: store, tolerances: tolerances, maxAgeDays: nil) else {
            return XCTFail("a calibration of another kernel was used")
        }
        XCTAssertTrue(refusal.description.contains("is not SHARP"), refusal.description)
        // Ten days later, beyond the 7-day default: refused for age; a --max-age of 11 days accepts it.
        need.acquired = isoUTC(last + 10 * 86_400)
        guard case .failure(let old) = try HistoryCalibrationLookup.choose(need, store: store, tolerances: tolerances, maxAgeDays: nil) else {
            return XCTFail("a 10-day-old calibration was used")
        }
        XCTAssertTrue(old.description.contains("more than 7"), old.description)
        XCTAssertNoThrow(try HistoryCalibrationLookup.choose(need, store: store, tolerances: tolerances, maxAgeDays: 11).get())
    }

    func isoUTC(_ seconds: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: seconds))
    }
}
