import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPatient
import QCTPhantoms
import QCTQualityControl
import QCTStorage

/// Where `qct spine` takes its calibration from.
public enum PatientCalibrationSource: Sendable {
    /// A calibration phantom lying in the same scan (the best-fitting one of the catalog).
    case sameScan
    /// The most recent passing phantom calibration of the QC history that matches the series.
    case history(store: String?, maxAgeDays: Double?)
    /// A calibration saved by `qct calibrate --save`, applied where its validity rules allow.
    case file(SavedCalibration)
    /// The patient's own tissues (air, subcutaneous fat, paraspinal muscle, aortic blood), as K2HPO4 or HA.
    case `internal`(BoneEquivalent)
}

/// A patient's spine BMD: the vertebrae found and named, each one's trabecular ROI, the
/// calibration, the mean of two and its ACR category (domain reference §13).
public struct PatientSpineAnalysis: Sendable {
    public let catalog: PhantomCatalog
    public let policy: PatientPolicy
    public var source: PatientCalibrationSource = .sameScan
    /// Leave the patient's identifiers out of the report.
    public var anonymize = false
    /// The patient database (nil: its default path), read for an earlier exam; with `record`, the exam is kept there.
    public var patients: String?
    public var record = false
    /// The precision study of the QC history (`QCStoreLocation`, `qcStore`) whose LSC judges a follow-up.
    public var precisionStudy: Int64?
    public var qcStore: String?
    /// A QC history already open (a node's own), used instead of opening `qcStore` or the history source's location.
    public var openStore: (any QCHistoryStore)?

    public init(catalog: PhantomCatalog) throws(WorkflowFailure) {
        guard let policy = catalog.patientPolicy else {
            throw WorkflowFailure("no patient policy (qct-patient-policy/1) among the phantom files; patient-policy.json in the phantom folder sets the categories, tissues and tolerances")
        }
        self.catalog = catalog
        self.policy = policy
    }

    /// A report and the volume it was read from.
    public struct Analysed: @unchecked Sendable {
        public var series: Series
        public var volume: Volume
        public var spine: PatientSpine
        /// The tissue ROIs of internal calibration, when it was used.
        public var tissues: PatientTissues?
        public var report: SpineReport
    }

    /// Reads the CT series at `path` (the largest holding a spine, or the one `selection` names) and reports its spine.
    public func analyse(path: String, selection: SeriesSelection = SeriesSelection(), report: DiagnosticSink,
                        progress: SeriesReader.Progress? = nil) throws -> Analysed {
        let (read, candidates) = try SeriesInput.read(path, selection: selection, report: report)
        let (info, volume, spine, _) = try SeriesInput.firstHolding(candidates, refused: read.rejected, path: path, what: "a spine", report: report,
                                                                    progress: progress, analyse: { _, volume, _ in
            PatientSpine.find(volume, settings: policy.spine)
        }, found: { !$0.vertebrae.isEmpty })
        guard !spine.vertebrae.isEmpty else { throw WorkflowFailure([Diagnostic(.error, path: path, spine.naming, noSpine: true)]) }
        let (calibration, tissues) = try calibrate(volume, info: info, path: path, spine: spine)
        let patient = info.patient()
        var r = SpineReport(path: path, seriesInstanceUID: info.seriesInstanceUID, acquired: DicomDateTime.iso(info.acquisition.acquisitionDateTime),
                            scanner: info.scanner, protocolUsed: info.acquisition, patient: anonymize ? nil : patient,
                            spine: spine, calibration: calibration, policy: policy)
        try followUp(&r, patientID: patient.id, path: path)
        return Analysed(series: info, volume: volume, spine: spine, tissues: tissues, report: r)
    }

    /// Compares with the latest earlier exam of the same Patient ID in the patient database, judged
    /// against the named precision study's LSC; with `record`, keeps this exam there.
    func followUp(_ r: inout SpineReport, patientID: String?, path: String) throws(WorkflowFailure) {
        guard let id = patientID?.trimmingCharacters(in: .whitespaces), !id.isEmpty else {
            r.followUpMissing = "the series has no Patient ID"
            if record { throw WorkflowFailure(path: path, "the series has no Patient ID (0010,0020), so the exam cannot be kept for follow-up") }
            return
        }
        let location = patients ?? PatientDatabase.defaultPath()
        guard record || FileManager.default.fileExists(atPath: location) else {
            r.followUpMissing = "no patient database at \(location) (qct spine --record keeps exams there)"
            return
        }
        let db: PatientDatabase
        do { db = try PatientDatabase(path: location, readOnly: !record) } catch { throw WorkflowFailure(.refused, "\(error)") }
        var lsc: LeastSignificantChange?, lscMissing: String? = "no precision study named (--precision-study)"
        if let study = precisionStudy {
            let store = try history(qcStore, path: path)
            let studies: [QCPrecisionRecord]
            do { studies = try store.precisionStudies(scanner: nil) } catch { throw WorkflowFailure(path: path, "QC history: \(error)") }
            guard let p = studies.first(where: { $0.id == study }) else {
                throw WorkflowFailure(path: path, "no precision study \(study) in the QC history (qct qc precision lists them)")
            }
            lsc = LeastSignificantChange(study: "\(p.scanner) precision study \(study): \(p.scans) scans \(p.from) – \(p.to), RMS-SD \(String(format: "%.3f", p.rmsSD)) \(p.unit)",
                                         precisionMgPerCm3: p.rmsSD, factor: policy.lscFactor)
            lscMissing = nil
        }
        do {
            if let acquired = r.acquired, let before = try db.earlier(patientID: id, before: acquired, unit: r.unit, excluding: r.seriesInstanceUID) {
                r.followUp = SpineFollowUp.between(earlier: before.vertebrae, earlierMean: before.meanBMD,
                                                   earlierMeanOf: before.meanOf?.split(separator: ",").map(String.init) ?? [],
                                                   acquired: before.acquired, series: before.seriesInstanceUID, now: r, lsc: lsc, lscMissing: lscMissing)
            } else {
                r.followUpMissing = "no earlier exam of this patient in the patient database"
            }
            if record {
                guard let acquired = r.acquired else { throw WorkflowFailure(path: path, "the series has no acquisition date, so the exam cannot be kept") }
                var vertebrae: [String: Double] = [:]
                for v in r.vertebrae { if let n = v.reading.name, let b = v.bmd { vertebrae[n] = b } }
                let exam = PatientExam(patientID: id, seriesInstanceUID: r.seriesInstanceUID, acquired: acquired, calibration: r.calibration.method.rawValue,
                                       unit: r.unit, vertebrae: vertebrae, meanBMD: r.summary?.meanBMD, meanOf: r.summary?.vertebrae.joined(separator: ","),
                                       category: r.summary?.category.rawValue, analysisVersion: r.analysisVersion, report: (try? jsonString(r)) ?? "{}")
                _ = try db.record(exam, at: ISO8601DateFormatter().string(from: Date()))
            }
        } catch let e as WorkflowFailure {
            throw e
        } catch {
            throw WorkflowFailure(.refused, "\(error)")
        }
    }

    /// The open QC history, else the one at `location` opened read-only.
    func history(_ location: String?, path: String) throws(WorkflowFailure) -> any QCHistoryStore {
        if let openStore { return openStore }
        do { return try QCStoreLocation.open(location, readOnly: true).store } catch { throw WorkflowFailure(path: path, "QC history: \(error)") }
    }

    /// The calibration line for `volume`, from the source chosen; a failure says why none applies.
    func calibrate(_ volume: Volume, info: Series, path: String, spine: PatientSpine) throws(WorkflowFailure) -> (SpineCalibration, PatientTissues?) {
        switch source {
        case .internal(let output):
            // Tissues on the slices of the vertebrae reported (all read ones when those are not named).
            let named = policy.spine.reported.compactMap { n in spine.vertebrae.firstIndex { $0.name == n && $0.meanHU != nil } }.prefix(2)
            let chosen = named.count == 2 ? Array(named) : spine.vertebrae.indices.filter { spine.vertebrae[$0].meanHU != nil }
            let slices = Array(Set(chosen.flatMap { spine.vertebrae[$0].roiSlices })).sorted()
            let tissues = PatientTissues.place(volume, spine: spine, slices: slices)
            let readings = tissues.samples.compactMap { t in
                t.meanHU.map { TissueReading(tissue: t.tissue, meanHU: $0, sdHU: t.sdHU ?? 0, areaMM2: t.areaMM2, voxels: t.voxels, centerMM: t.centerMM) }
            }
            switch InternalCalibration.fit(readings, policy: policy.internalCalibration, materials: catalog.materials, output: output) {
            case .failure(let f):
                let missing = tissues.samples.compactMap(\.missing)
                throw WorkflowFailure(path: path, "internal calibration failed: \(f)" + (missing.isEmpty ? "" : "; " + missing.joined(separator: "; ")))
            case .success(let ic):
                var c = SpineCalibration(method: .internal, slope: ic.slope, intercept: ic.intercept,
                                         summary: String(format: "internal (%@): %d tissues, effective energy %.1f keV, R² %.5f", ic.output.rawValue,
                                                         ic.tissues.count, ic.effectiveEnergyKeV, ic.r2))
                (c.internalCalibration, c.tissues) = (ic, tissues.samples)
                return (c, tissues)
            }
        case .sameScan:
            guard let (result, fit) = CalibrationPhantoms.best(in: volume, catalog: catalog) else {
                throw WorkflowFailure(path: path, "no calibration phantom found in the scan (tried \(CalibrationPhantoms.ids(catalog).joined(separator: ", "))); use --calibration history, internal or a saved calibration")
            }
            var c = SpineCalibration(method: .sameScan, slope: fit.slope, intercept: fit.intercept,
                                     summary: "same scan: \(result.phantom) (certificate \(result.certificate ?? "-")), status \(result.status.rawValue)")
            (c.phantom, c.certificate, c.sigmaCT, c.betaCT, c.status) = (result.phantom, result.certificate, fit.sigmaCT, fit.betaCT, result.status.rawValue)
            return (c, nil)
        case .history(let location, let maxAge):
            let store = try history(location, path: path)
            switch try HistoryCalibrationLookup.choose(HistoryCalibrationLookup.need(of: info), store: store, tolerances: policy.historyCalibration,
                                                       maxAgeDays: maxAge) {
            case .failure(let refusal): throw WorkflowFailure(path: path, "no calibration from the QC history: \(refusal)")
            case .success(let choice):
                let s = choice.calibration
                var c = SpineCalibration(method: .history, slope: s.slope, intercept: s.intercept,
                                         summary: String(format: "QC history: result %lld, %@ of %@ (%.1f days %@ the scan)", s.resultID, s.phantom, s.acquired,
                                                         abs(choice.ageDays), choice.ageDays >= 0 ? "before" : "after"))
                (c.phantom, c.certificate, c.sigmaCT, c.betaCT, c.status, c.history) = (s.phantom, s.certificate, s.sigmaCT, s.betaCT, s.calibrationStatus, choice)
                return (c, nil)
            }
        case .file(let saved):
            guard let fit = saved.report.fit else { throw WorkflowFailure(path: saved.path, "the saved calibration has no fit") }
            let mismatches = CalibrationValidity.mismatches(saved: saved.report, scanner: info.scanner, protocolUsed: info.acquisition,
                                                            maximumAgeDays: saved.maximumAgeDays)
            if !mismatches.isEmpty, !saved.allowMismatch {
                throw WorkflowFailure(path: saved.path, "the saved calibration does not apply to this series: " + mismatches.joined(separator: "; "))
            }
            var c = SpineCalibration(method: .file, slope: fit.slope, intercept: fit.intercept,
                                     summary: "saved calibration \(saved.path)" + (mismatches.isEmpty ? "" : " (applied despite: \(mismatches.joined(separator: "; ")))"))
            (c.phantom, c.certificate, c.sigmaCT, c.betaCT, c.status, c.file) = (saved.report.phantom, saved.report.certificate, fit.sigmaCT, fit.betaCT,
                                                                                 saved.report.status.rawValue, saved.path)
            return (c, nil)
        }
    }
}

/// The calibration phantoms of a catalog, tried on a volume.
public enum CalibrationPhantoms {
    /// Ids of the catalog's calibration phantoms, sorted.
    public static func ids(_ catalog: PhantomCatalog) -> [String] {
        catalog.phantoms.values.filter { $0.calibration != .none }.map(\.id).sorted()
    }

    /// Of the phantoms that fit without a failed check, the one with the most rods (a 6-rod phantom
    /// also holds a 3-rod pattern; a 5-rod pad a 4-rod one), then the best checks, then R².
    /// `serials`: the certificate serial to use per phantom id (default: its first certificate).
    public static func best(in volume: Volume, catalog: PhantomCatalog, serials: [String: String] = [:]) -> (CalibrationResult, CalibrationFit)? {
        var best: (CalibrationResult, CalibrationFit)?
        for id in ids(catalog) {
            guard let phantom = catalog.phantoms[id],
                  let certificate = catalog.certificate(for: id, serial: serials[id]),
                  let result = try? Calibrator.calibrate(volume, phantom: phantom, certificate: certificate),
                  result.status != .fail, let fit = result.fit else { continue }
            if let (b, bf) = best {
                let better = (-result.rods.count, result.status, -fit.r2) < (-b.rods.count, b.status, -bf.r2)
                if !better { continue }
            }
            best = (result, fit)
        }
        return best
    }
}
