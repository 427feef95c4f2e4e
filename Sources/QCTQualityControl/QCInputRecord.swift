import Foundation

/// What became of a series a QC node received (from the network or a watched folder): recorded,
/// already stored, failed (kept, with the reason), refused (not a phantom scan) or, on a node that
/// analyses patient exams, kept in the patient database. It holds no
/// patient identifier: the series UID, the sender and qct's own reason only.
public struct QCInputRecord: Codable, Hashable, Sendable {
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// Analysed and stored as a result (`resultID`).
        case recorded
        /// The same series was stored before.
        case duplicate
        /// Analysis failed; the files are kept for another look.
        case failed
        /// No calibration phantom or ESP in it (a patient sent by mistake): files deleted or quarantined.
        case refused
        /// A patient exam, on a node that analyses them: its spine was measured and the exam kept in
        /// the patient database, apart from this history; the reason names no patient and no result.
        case patient
    }

    public var id: Int64?
    public var seriesInstanceUID: String
    /// Who sent it: "AE@address" for DICOM, "watch" for a folder.
    public var source: String
    /// When the first and the last file arrived, ISO 8601 UTC.
    public var firstReceived: String
    public var lastReceived: String
    /// When the analysis ended, ISO 8601 UTC.
    public var finishedAt: String
    public var files: Int
    public var outcome: Outcome
    /// Why it failed or was refused, or the QC state of what was recorded.
    public var reason: String
    public var resultID: Int64?

    public init(id: Int64? = nil, seriesInstanceUID: String, source: String, firstReceived: String, lastReceived: String,
                finishedAt: String, files: Int, outcome: Outcome, reason: String, resultID: Int64? = nil) {
        self.id = id
        self.seriesInstanceUID = seriesInstanceUID
        self.source = source
        self.firstReceived = firstReceived
        self.lastReceived = lastReceived
        self.finishedAt = finishedAt
        self.files = files
        self.outcome = outcome
        self.reason = reason
        self.resultID = resultID
    }
}
