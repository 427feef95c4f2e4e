import Foundation
import QCTCore
import QCTPhantoms
import QCTQualityControl
import QCTReport
import QCTSimulator
import QCTStatistics
import QCTStorage
import QCTTestSupport
import QCTWorkflows
import XCTest

/// The application layer called in process, as a second front end (a server, a dashboard) would:
/// simulate, measure, record, precision and compare, with no `qct` process and no console.
final class WorkflowTests: XCTestCase {
    static let catalog = PhantomCatalog.load(directories: [TestRepository.phantoms.path])
    /// Two scanners × three repositioned ESP scans, written once for every test here.
    nonisolated(unsafe) static var scans: URL?

    /// The scans are inputs, not what is tested: the release `qct` writes them (a debug build
    /// simulates ten times slower).
    static func simulated() throws -> URL {
        if let scans { return scans }
        let root = try TestRepository.temporaryDirectory("qct-workflows")
        let qct = try XCTUnwrap(ToolRunner.releaseQCT, "release build missing: run `make test` (it builds it)")
        for (n, scanner) in ["QCT1", "QCT3"].enumerated() {
            let r = try ToolRunner.run(qct, ["simulate", "esp-on-pad", "--scanner", scanner, "--repeat", "3", "--reposition", "--seed", "\(31 + n)",
                                             "--matrix", "400", "--pixel-spacing", "0.9", "--slices", "40", "--thickness", "3", "--spacing", "3",
                                             "--noise", "10", "--phantoms", TestRepository.phantoms.path,
                                             "--out", root.appendingPathComponent(scanner).path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        scans = root
        return root
    }

    func testASimulationBatchWritesEachScanWithItsOwnSeedTimeAndSetUp() throws {
        let profile = try XCTUnwrap(Self.catalog.scanners["QCT2"])
        var changes = ProfileOverrides()
        (changes.kvp, changes.mAs) = (profile.kvp / 2, profile.mAs * 4)
        let (changed, noise) = changes.apply(to: profile)
        // Effective energy × (1/2)^0.6; noise SD × 1/√4.
        XCTAssertEqual(changed.effectiveEnergyKeV, profile.effectiveEnergyKeV * 0.659753955386447, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(noise), profile.noiseSDHU / 2, accuracy: 1e-12)
        var batch = SimulationBatch(request: SimulationRequest(scene: "pad", profile: changed), seed: 5)
        (batch.count, batch.reposition, batch.firstTime) = (3, true, "235800")
        let requests = try (0..<3).map { try batch.request(scan: $0) }
        XCTAssertEqual(requests.map(\.acquisitionTime), ["235800", "000300", "000800"], "5 minutes apart, across midnight")
        XCTAssertEqual(Set(requests.map(\.seed)).count, 3)
        for r in requests {
            XCTAssertLessThanOrEqual(abs(r.translationMM[0]), 5)
            XCTAssertLessThanOrEqual(abs(r.translationMM[2]), 3)
            XCTAssertLessThanOrEqual(abs(r.rotationDegrees), 3)
        }
        XCTAssertEqual(batch.directory("/x", scan: 1), "/x/scan-002")
    }

    /// Collects diagnostics a front end would show.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Diagnostic] = []
        var all: [Diagnostic] { lock.withLock { items } }
        lazy var sink: DiagnosticSink = { [unowned self] d in self.lock.withLock { self.items.append(d) } }
    }

    func testASecondFrontEndRecordsQCInTenLines() throws {
        let scan = try Self.simulated().appendingPathComponent("QCT1/scan-001").path
        let db = try TestRepository.temporaryDirectory().appendingPathComponent("qc.sqlite").path
        // ---- the ten lines a front end needs ----
        let catalog = try PhantomCatalog.load(directories: [TestRepository.phantoms.path], certificates: [], report: { _ in })
        let measurement = try SpineMeasurement(SpineMeasurementOptions(), catalog: catalog)
        let recorder = QCRecorder(recognition: try PhantomRecognition(measurement: measurement), store: try QCDatabase(path: db))
        let batch = try recorder.record([scan], report: { print($0.line) })
        // ---- end ----
        guard case .stored(let r) = try XCTUnwrap(batch.outcomes.first) else { return XCTFail("nothing stored: \(batch.outcomes)") }
        XCTAssertEqual(r.scanner, "QCT1")
        XCTAssertEqual(r.kind, "esp on mindways-model3-ct")
        XCTAssertEqual(r.state, .baseline)
        XCTAssertEqual(Set(r.metrics.map(\.name)), ["sigmaCT", "betaCT", "R2", "rod A", "rod B", "rod C", "rod D", "rod E", "L1 BMD", "L2 BMD", "L3 BMD"])
        // Units and limits come from Phantoms/qc-policy.json.
        XCTAssertEqual(r.metrics.first { $0.name == "L2 BMD" }?.unit, "mg/cm3")
        XCTAssertEqual(try QCDatabase(path: db, readOnly: true).latestResults().count, 1)
    }

    func testRecordingOffTheCooperativePoolStoresEachSeriesOnce() async throws {
        let root = try Self.simulated()
        let measurement = try SpineMeasurement(SpineMeasurementOptions(), catalog: Self.catalog)
        let store = try QCDatabase(inMemoryWith: QCClock { Date(timeIntervalSince1970: 1_780_000_000) })
        let recorder = QCRecorder(recognition: try PhantomRecognition(measurement: measurement), store: store, baselineSize: 3)
        let collected = Collected()
        let batch = try await recorder.record([root.appendingPathComponent("QCT1").path], report: collected.sink)
        XCTAssertEqual(batch.outcomes.count, 3)
        XCTAssertTrue(collected.all.filter { $0.severity == .refused }.isEmpty, "\(collected.all)")
        // The third scan completes the baseline; its mean per metric is the mean of the three stored values.
        let points = try store.points(scanner: "QCT1", metric: "L2 BMD")
        XCTAssertEqual(points.count, 3)
        XCTAssertTrue(points.allSatisfy { $0.state == .baseline })
        // Recorded again: every series is a duplicate, nothing stored twice.
        let again = try await recorder.record([root.appendingPathComponent("QCT1").path], report: { _ in })
        for o in again.outcomes { guard case .duplicate(let at, _, _) = o else { return XCTFail("stored twice") }; XCTAssertEqual(at, "2026-05-28T20:26:40Z") }
    }

    func testMeasuringInProcessReadsEachVertebraWithinOnePercentOfTruth() async throws {
        let dir = try Self.simulated().appendingPathComponent("QCT3/scan-002")
        let truth = try JSONDecoder().decode(SimulationTruth.self, from: Data(contentsOf: dir.appendingPathComponent("truth.json")))
        let measurement = try SpineMeasurement(SpineMeasurementOptions(), catalog: Self.catalog)
        let measured = try await measurement.measure(path: dir.path, report: { _ in })
        XCTAssertEqual(measured.report.status, .pass)
        for t in truth.vertebrae {
            let want = try XCTUnwrap(t.expectedBMD)
            let got = try XCTUnwrap(measured.report.vertebrae.first { $0.name == t.name }?.bmd, t.name)
            XCTAssertLessThanOrEqual(abs(got - want), max(1, 0.01 * want), "\(t.name): \(got) vs truth \(want) mg/cm³")
        }
    }

    func testPrecisionAndComparisonFromCollectedSeriesMatchAnIndependentComputation() throws {
        let root = try Self.simulated()
        let measurement = try SpineMeasurement(SpineMeasurementOptions(), catalog: Self.catalog)
        let collected = Collected()
        var saved: [String: String] = [:]
        let inputs = try StudyCollection(measurement: measurement, saveTo: root.appendingPathComponent("m").path)
            .collect([root.appendingPathComponent("QCT1").path, root.appendingPathComponent("QCT3").path], report: collected.sink) { saved[$0] = $1 }
        XCTAssertEqual(inputs.count, 6)
        XCTAssertEqual(saved.count, 6, "each measured series handed to the front end to save")
        XCTAssertEqual(collected.all.filter { $0.line.hasPrefix("measured ") }.count, 6)
        let study = PrecisionStudy(inputs, analysisVersion: "test")
        XCTAssertEqual(study.scanners.map(\.scanner).sorted(), ["QCT1", "QCT3"])
        for s in study.scanners {
            for site in s.precision.sites {
                // Mean and SD (n − 1) of the readings, computed here from the reports.
                let values = inputs.filter { scannerLabel($0.report.scanner) == s.scanner }
                    .compactMap { $0.report.vertebrae.first { $0.name == site.name }?.bmd }
                XCTAssertEqual(values.count, 3)
                let mean = values.reduce(0, +) / 3
                let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
                XCTAssertEqual(site.mean, mean, accuracy: 1e-9)
                XCTAssertEqual(site.sd, sd, accuracy: 1e-9)
            }
        }
        let comparison = ScannerComparison(study, reference: "QCT1")
        let selfLine = try XCTUnwrap(comparison.regressions.first { $0.scanner == "QCT1" }?.versusReference)
        XCTAssertEqual(selfLine.slope, 1, accuracy: 1e-12)
        XCTAssertEqual(selfLine.intercept, 0, accuracy: 1e-9)
        // QCT3's equation against QCT1, as kept in the history: the least-squares line through the
        // vertebra means (computed here), versioned, and flagged once a service event follows its scans.
        let (equations, skipped) = comparison.crossCalibrations()
        XCTAssertEqual(skipped, [])
        let qct3 = try XCTUnwrap(equations.first)
        XCTAssertEqual(equations.map(\.scanner), ["QCT3"])
        let x: [Double] = try XCTUnwrap(study.scanners.first { $0.scanner == "QCT1" }).precision.sites.map(\.mean)
        let y: [Double] = try XCTUnwrap(study.scanners.first { $0.scanner == "QCT3" }).precision.sites.map(\.mean)
        let mx: Double = x.reduce(0, +) / Double(x.count)
        let my: Double = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
        }
        let slope = sxy / sxx
        XCTAssertEqual(qct3.slope, slope, accuracy: 1e-9)
        XCTAssertEqual(qct3.intercept, my - slope * mx, accuracy: 1e-6)
        XCTAssertEqual(qct3.target, "QCT1")
        let store = try QCDatabase(inMemoryWith: QCClock { Date(timeIntervalSince1970: 1_780_000_000) })
        _ = try store.recordCrossCalibration(qct3, audit: nil)
        XCTAssertTrue(try CrossCalibrationInForce(store: store, scanner: "QCT3").serviceSince.isEmpty)
        _ = try store.addEvent(scanner: "QCT3", at: "2099-01-01", description: "detector replaced", baselineSize: 3)
        let stale = try CrossCalibrationInForce(store: store, scanner: "QCT3")
        XCTAssertEqual(stale.serviceSince.map(\.description), ["detector replaced"])
        XCTAssertTrue(stale.text.contains("RE-DERIVE"), stale.text)
        XCTAssertThrowsError(try CrossCalibrationInForce(store: store, scanner: "QCT1"))
    }

    func testDiagnosticsAreValuesWithSeverityPathAndMessage() throws {
        let empty = try TestRepository.temporaryDirectory()
        let measurement = try SpineMeasurement(SpineMeasurementOptions(), catalog: Self.catalog)
        XCTAssertThrowsError(try measurement.measure(path: empty.path, report: { _ in })) { error in
            let failure = error as? WorkflowFailure
            XCTAssertEqual(failure?.diagnostics.first?.severity, .error)
            XCTAssertEqual(failure?.diagnostics.first?.path, empty.path)
            XCTAssertEqual(failure?.diagnostics.first?.message, "no usable CT series")
        }
        XCTAssertEqual(Diagnostic(.refused, path: "a.dcm", "not DICOM").line, "refused: a.dcm: not DICOM")
        XCTAssertThrowsError(try SpineMeasurement({ var o = SpineMeasurementOptions(); o.phantom = "catphan504-ctp404"; return o }(), catalog: Self.catalog))
    }
}
