import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport

/// Where the HU → mg/cm³ calibration of an ESP measurement comes from. (A patient's spine, read
/// by `PatientSpineAnalysis`, may also take it from the QC history or the patient's own tissues:
/// `PatientCalibrationSource`.)
public enum CalibrationSource: Sendable {
    /// The calibration phantom lying in the same scan.
    case sameScan
    /// A calibration saved earlier (`qct calibrate --save`), applied where its validity rules allow it.
    case saved(SavedCalibration)
}

/// A saved calibration as read from its file, with how strictly it is applied.
public struct SavedCalibration: Sendable {
    public var path: String
    public var report: CalibrationReport
    /// Apply it even where the series does not match (recorded in the result).
    public var allowMismatch: Bool
    /// Oldest accepted, days.
    public var maximumAgeDays: Double

    /// Reads `path`; a file that is not a saved calibration with a fit (and fits along z, when
    /// `needsAlongZ`) is a failure naming it.
    public init(path: String, allowMismatch: Bool, maximumAgeDays: Double, needsAlongZ: Bool) throws(WorkflowFailure) {
        let report = try JSONFile.read(CalibrationReport.self, at: path, what: "a saved calibration (qct calibrate --save)")
        guard report.fit != nil else { throw WorkflowFailure(path: path, "the saved calibration has no fit") }
        if needsAlongZ, report.alongZ?.isEmpty ?? true {
            throw WorkflowFailure(path: path, "the saved calibration has no fits along z (save it with qct calibrate --along-z)")
        }
        self.path = path
        self.report = report
        self.allowMismatch = allowMismatch
        self.maximumAgeDays = maximumAgeDays
    }
}

/// How ESP series are measured: the spine phantom, the calibration phantom of the same scan,
/// where the calibration comes from, and the vertebra search.
public struct SpineMeasurementOptions: Sendable {
    public var phantom = "esp"
    /// Spine phantom certificate serial (default: the phantom's first certificate).
    public var serial: String?
    public var calibrationPhantom = "mindways-model3-ct"
    public var calibrationSerial: String?
    public var source: CalibrationSource = .sameScan
    /// Calibrate in slabs of this many mm along z and convert each vertebra at its z.
    public var calibrationAlongZ: Double?
    public var settings = VertebraSearchSettings()

    public init() {}

    /// Settings out of range: the slab must be positive, the erosion 0…10 mm, slabs along z positive.
    public var problems: [SettingProblem] {
        SettingProblem.collect([
            (settings.slabMM > 0, "slab", "must be positive (mm)"),
            (settings.erosionMM >= 0 && settings.erosionMM <= 10, "erosion", "must be between 0 and 10 (mm)"),
            ((calibrationAlongZ ?? 1) > 0, "calibration-along-z", "must be positive (mm)"),
        ])
    }
}

/// Why a series was not measured (a saved calibration that does not apply).
public struct MeasureRefusal: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Measures ESP series with one set of options: calibration (same scan or saved, checked),
/// vertebrae, checks and provenance.
public struct SpineMeasurement: Sendable {
    public let options: SpineMeasurementOptions
    public let catalog: PhantomCatalog
    public let definition: PhantomDefinition
    public let certificate: Certificate?

    /// Checks that the spine phantom and its certificate exist in `catalog`.
    public init(_ options: SpineMeasurementOptions, catalog: PhantomCatalog) throws(WorkflowFailure) {
        self.options = options
        self.catalog = catalog
        guard let d = catalog.phantoms[options.phantom], d.inserts.contains(where: { $0.role == .vertebra }) else {
            let spines = catalog.phantoms.values.filter { $0.inserts.contains { $0.role == .vertebra } }.map(\.id).sorted()
            throw WorkflowFailure("\"\(options.phantom)\" is not a spine phantom; known: \(spines.joined(separator: ", "))")
        }
        definition = d
        certificate = catalog.certificate(for: options.phantom, serial: options.serial)
        if let serial = options.serial, certificate == nil {
            throw WorkflowFailure("no certificate with serial \(serial) for \(options.phantom)")
        }
    }

    /// The vertebrae in a volume, located with these settings.
    public func locate(_ volume: Volume) -> SpineSearch {
        VertebraLocator.locate(volume, phantom: definition, settings: options.settings)
    }

    /// `search`: the result of `locate` when the caller already has it.
    /// `refused`: files refused while reading the series' folder (named in a slice-gap check).
    public func measure(_ volume: Volume, series info: Series, path: String, search: SpineSearch? = nil,
                        refused: [RejectedFile] = []) throws(MeasureRefusal) -> MeasurementReport {
        var extra: [CalibrationCheck] = []
        let used: CalibrationUsed?
        switch options.source {
        case .saved(let saved):
            let mismatches = CalibrationValidity.mismatches(saved: saved.report, scanner: info.scanner, protocolUsed: info.acquisition,
                                                           maximumAgeDays: saved.maximumAgeDays)
            if !mismatches.isEmpty && !saved.allowMismatch {
                throw MeasureRefusal(description: "\(saved.path): does not apply to \(path): " + mismatches.joined(separator: "; ") + " (--allow-mismatch overrides)")
            }
            used = CalibrationUsed(source: .saved, file: saved.path, report: saved.report, mismatches: mismatches, allowMismatch: saved.allowMismatch)
            if !mismatches.isEmpty {
                extra.append(CalibrationCheck(name: "asynchronous calibration", status: .warn,
                                              detail: "applied despite: " + mismatches.joined(separator: "; ")))
            }
        case .sameScan:
            used = sameScan(volume, info: info, checks: &extra)
        }
        if let u = used {
            let status = u.status
            let problems = u.checks.filter { $0.status != .pass }.map { "\($0.name): \($0.detail)" }
            extra.append(CalibrationCheck(name: "calibration", status: status,
                                          detail: "\(u.source.rawValue) \(u.phantom) calibration: \(u.status.rawValue)" +
                                              (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")")))
        }
        let settings = options.settings
        let alongZ = options.calibrationAlongZ != nil ? used?.alongZ : nil
        let result = SpineMeasurer.measure(volume, phantom: definition, certificate: certificate, fit: used?.fit, alongZ: alongZ,
                                           sliceThicknessMM: info.sliceThicknessMM, settings: settings, search: search)
        // A gap in the slices: which vertebra's slab it cuts through, if any.
        extra += SliceGapCheck.checks(info, refused: refused) { gap in
            let hit = result.vertebrae.filter { v in
                guard let slab = v.roi?.slabMM, slab.count == 2 else { return false }
                return gap[0] < max(slab[0], slab[1]) && gap[1] > min(slab[0], slab[1])
            }.map(\.name)
            return hit.isEmpty ? nil : "inside the slab of " + hit.joined(separator: ", ")
        }
        return MeasurementReport(phantom: definition.id, certificate: certificate.map { "\($0.serial) (\($0.source))" }, result: result,
                                 calibration: used, extraChecks: extra, series: info.identity, path: path, settings: settings)
    }

    /// The calibration phantom of the same scan; nil (with a failed check) when it cannot be fitted.
    func sameScan(_ volume: Volume, info: Series, checks: inout [CalibrationCheck]) -> CalibrationUsed? {
        guard let pad = catalog.phantoms[options.calibrationPhantom], pad.calibration != .none else {
            checks.append(CalibrationCheck(name: "calibration", status: .fail, detail: "\(options.calibrationPhantom) is not a calibration phantom"))
            return nil
        }
        let certificate = catalog.certificate(for: options.calibrationPhantom, serial: options.calibrationSerial)
        var settings = RodSearchSettings()
        settings.alongZSlabMM = options.calibrationAlongZ
        do {
            let result = try Calibrator.calibrate(volume, phantom: pad, certificate: certificate, settings: settings)
            return CalibrationUsed(source: .sameScan, file: nil, report: CalibrationReport(result: result, series: info.identity))
        } catch {
            checks.append(CalibrationCheck(name: "calibration", status: .fail, detail: "same-scan \(options.calibrationPhantom): \(error)"))
            return nil
        }
    }

    /// Reads one series from `path` and measures it (the CT series that holds the spine phantom, or
    /// the one `selection` names). Refused files and notes go to `report`.
    public func measure(path: String, selection: SeriesSelection = SeriesSelection(), report: DiagnosticSink,
                        progress: SeriesReader.Progress? = nil) throws -> MeasuredSeries {
        let (read, candidates) = try SeriesInput.read(path, selection: selection, report: report)
        let (info, volume, result, _) = try SeriesInput.firstHolding(candidates, refused: read.rejected, path: path, what: "the \(definition.name)",
                                                                     report: report, progress: progress, analyse: { info, volume, refused in
            do { return try measure(volume, series: info, path: path, refused: refused) } catch {
                throw WorkflowFailure(.refused, "\(error)")
            }
        }, found: { $0.vertebrae.contains { $0.meanHU != nil } })
        return MeasuredSeries(series: info, volume: volume, report: result)
    }

    /// `measure(path:…)` off the cooperative thread pool.
    public func measure(path: String, selection: SeriesSelection = SeriesSelection(), report: @escaping DiagnosticSink) async throws -> MeasuredSeries {
        try await Blocking.run { try measure(path: path, selection: selection, report: report) }
    }
}

/// A series measured: what was read, the volume, and the report.
public struct MeasuredSeries: @unchecked Sendable {
    public var series: Series
    public var volume: Volume
    public var report: MeasurementReport
}
