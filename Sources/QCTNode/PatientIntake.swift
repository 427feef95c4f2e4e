import Foundation
import QCTWorkflows

/// What a node does with a series that holds no phantom but a spine: a patient exam. Its spine is
/// measured as `qct spine` measures it, calibrated from the node's own QC history by default
/// (asynchronous calibration, domain reference §3), and the exam is kept in the patient
/// database, never in the QC history or on the dashboard (Docs/patient.md).
public struct PatientIntake: Sendable {
    /// The patient database the exams are kept in.
    public var database: String
    /// `history` (the default), `internal`, or `same-scan`.
    public var calibration: String = "history"
    /// The oldest QC calibration accepted, days (nil: the patient policy's).
    public var maxAgeDays: Double?
    /// A folder for each exam's report (`SERIES-UID.html` and `.json`); nil writes none.
    public var reports: String?

    public init(database: String) { self.database = database }

    static let calibrations = ["history", "internal", "same-scan"]

    /// Settings out of range, named as the flag and config key.
    public var problems: [SettingProblem] {
        SettingProblem.collect([
            (Self.calibrations.contains(calibration), "patient-calibration", "must be history, internal or same-scan"),
            ((maxAgeDays ?? 1) > 0, "patient-max-age", "must be positive (days)"),
        ])
    }

    /// The spine analysis a node runs: it records every exam, and reads the QC history it already has open.
    func analysis(catalog: PhantomCatalog, store: any QCHistoryStore) throws(WorkflowFailure) -> PatientSpineAnalysis {
        var a = try PatientSpineAnalysis(catalog: catalog)
        a.source = switch calibration {
        case "internal": .internal(.k2hpo4)
        case "same-scan": .sameScan
        default: .history(store: nil, maxAgeDays: maxAgeDays)
        }
        (a.patients, a.record, a.openStore) = (database, true, store)
        return a
    }
}
