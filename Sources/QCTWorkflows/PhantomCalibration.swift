import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport

/// Calibrates one series on a calibration or QA phantom: rods found with no hints (or placed by
/// manual ROIs), fitted and checked, with any slice gap as a WARN check.
public struct PhantomCalibration: Sendable {
    public let definition: PhantomDefinition
    public let certificate: Certificate?
    public var settings: RodSearchSettings
    /// Manual ROIs and the file they came from, used instead of detection.
    public var manual: ManualROIs?
    public var manualSource: String?

    /// Checks that `phantom` and its certificate exist.
    public init(phantom: String, serial: String?, catalog: PhantomCatalog, settings: RodSearchSettings = RodSearchSettings(),
                manualROIs: String? = nil) throws(WorkflowFailure) {
        guard let d = catalog.phantoms[phantom] else {
            throw WorkflowFailure("unknown phantom \"\(phantom)\"; known: \(catalog.phantoms.keys.sorted().joined(separator: ", "))")
        }
        definition = d
        certificate = catalog.certificate(for: phantom, serial: serial)
        if let serial, certificate == nil { throw WorkflowFailure("no certificate with serial \(serial) for \(phantom)") }
        self.settings = settings
        manual = try manualROIs.map { path throws(WorkflowFailure) in try JSONFile.read(ManualROIs.self, at: path, what: "a ROI file") }
        manualSource = manualROIs
    }

    /// A series calibrated: what was read, the volume, and the result with its checks.
    public struct Calibrated: @unchecked Sendable {
        public var series: Series
        public var volume: Volume
        public var result: CalibrationResult
        public var report: CalibrationReport { CalibrationReport(result: result, series: series.identity) }
    }

    /// Reads `path` and calibrates the CT series that holds the phantom (or the one `selection` names).
    public func calibrate(path: String, selection: SeriesSelection = SeriesSelection(), report: DiagnosticSink,
                          progress: SeriesReader.Progress? = nil) throws -> Calibrated {
        let (read, candidates) = try SeriesInput.read(path, selection: selection, report: report)
        let (info, volume, result, refused) = try SeriesInput.firstHolding(candidates, refused: read.rejected, path: path, what: "the \(definition.name)",
                                                                           report: report, progress: progress, analyse: { _, volume, _ in
            do {
                return try Calibrator.calibrate(volume, phantom: definition, certificate: certificate, settings: settings,
                                                manual: manual, manualSource: manualSource)
            } catch {
                throw WorkflowFailure(path: path, "\(error)")
            }
        }, found: { $0.notFound == nil })
        var checked = result
        SliceGapCheck.apply(to: &checked, info, refused: refused)
        return Calibrated(series: info, volume: volume, result: checked)
    }

    /// `calibrate` off the cooperative thread pool.
    public func calibrate(path: String, selection: SeriesSelection = SeriesSelection(), report: @escaping DiagnosticSink) async throws -> Calibrated {
        try await Blocking.run { try calibrate(path: path, selection: selection, report: report) }
    }
}
