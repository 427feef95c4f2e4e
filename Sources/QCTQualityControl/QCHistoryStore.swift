import Foundation

/// The QC history a site keeps: results with their judgements, baselines, service events.
/// Judgement is `QCJudge`'s; a store gathers what the judge needs, calls it, and keeps the
/// result in one transaction. SQLite (`QCDatabase`) is one implementation; a shared server
/// database is another.
public protocol QCHistoryStore: Sendable {
    /// Where the history lives, for people (a path or a connection name without credentials).
    var location: String { get }
    /// A token that changes whenever anything stored changes (by this process or another): two
    /// equal tokens mean every read gives the same answer, so a reader may cache what it drew.
    func changeToken() throws(QCStoreError) -> String
    /// Stores one result judged under the baseline in force; the same series twice is stored once.
    func record(_ input: QCResultInput, baselineSize: Int, cusumH: Double) throws(QCStoreError) -> QCRecordOutcome
    /// Records a service event and starts a new baseline for each protocol of the scanner;
    /// returns the event and how many baselines it started. `audit` is kept in the same transaction.
    func addEvent(scanner: String, at: String, description: String, baselineSize: Int, audit: QCAuditEntry?) throws(QCStoreError) -> (QCEvent, Int)
    /// Withdraws an event recorded by mistake (kept, with when and why) and the baselines it started.
    func deleteEvent(id: Int64, reason: String, audit: QCAuditEntry?) throws(QCStoreError) -> (QCEvent, Int)
    /// A baseline from the scanner's results between two dates, one per protocol and kind.
    func setBaseline(scanner: String, from: String, to: String, audit: QCAuditEntry?) throws(QCStoreError) -> [QCBaseline]
    /// Rejects a stored result with a reason (`QCRejection`); a result rejected twice is refused.
    func reject(resultID: Int64, by user: String, reason: String, audit: QCAuditEntry?) throws(QCStoreError) -> QCRejection
    /// Rejected results, newest first; one scanner's with `scanner`.
    func rejections(scanner: String?) throws(QCStoreError) -> [QCRejection]
    /// Keeps a scanner's precision study; the same scans again are not stored twice (`stored` false,
    /// the record kept before returned).
    func recordPrecision(_ study: QCPrecisionRecord, audit: QCAuditEntry?) throws(QCStoreError) -> (QCPrecisionRecord, stored: Bool)
    /// Stored precision studies, newest scans first; one scanner's with `scanner`.
    func precisionStudies(scanner: String?) throws(QCStoreError) -> [QCPrecisionRecord]
    /// Keeps a scanner's cross-calibration equation (`QCCrossCalibration`); the same scans and target
    /// again are not stored twice (`stored` false, the one kept before returned).
    func recordCrossCalibration(_ equation: QCCrossCalibration, audit: QCAuditEntry?) throws(QCStoreError) -> (QCCrossCalibration, stored: Bool)
    /// Kept cross-calibration equations, newest version first; one scanner's with `scanner`.
    func crossCalibrations(scanner: String?) throws(QCStoreError) -> [QCCrossCalibration]
    /// The full analysis (JSON) a result came from, with its checks; nil for an unknown id.
    func provenance(resultID: Int64) throws(QCStoreError) -> String?
    /// The overlay picture (SVG) kept with a result, if any.
    func picture(resultID: Int64) throws(QCStoreError) -> [UInt8]?
    /// Results with a calibration fit (σ_CT and β_CT, or slope and intercept) of the scanners with
    /// this Device Serial Number, not rejected, newest first (at most `limit`).
    func calibrations(serial: String, limit: Int) throws(QCStoreError) -> [QCStoredCalibration]
    /// The last result of every scanner, protocol and kind that is not rejected.
    func latestResults() throws(QCStoreError) -> [QCStoredResult]
    /// Stored metric values of results not rejected, oldest first.
    func points(scanner: String?, metric: String?) throws(QCStoreError) -> [QCPoint]
    func metricNames(scanner: String) throws(QCStoreError) -> [String]
    func events(scanner: String, deleted: Bool) throws(QCStoreError) -> [QCEvent]
    /// Keeps what became of a series a node received; returns it with its id.
    func recordInput(_ input: QCInputRecord) throws(QCStoreError) -> QCInputRecord
    /// The inputs a node received, newest first, optionally only some outcomes.
    func inputs(outcomes: Set<QCInputRecord.Outcome>?, limit: Int) throws(QCStoreError) -> [QCInputRecord]
    /// Adds a user with the hash of their token; a name taken is refused.
    func addUser(_ user: QCUser, tokenHash: String) throws(QCStoreError) -> QCUser
    /// The user whose token has this hash, if any.
    func user(tokenHash: String) throws(QCStoreError) -> QCUser?
    /// Appends to the audit log.
    func audit(_ entry: QCAuditEntry) throws(QCStoreError)
    /// The audit log, newest first.
    func auditLog(limit: Int) throws(QCStoreError) -> [QCAuditEntry]
}

extension QCHistoryStore {
    public func addEvent(scanner: String, at: String, description: String, baselineSize: Int) throws(QCStoreError) -> (QCEvent, Int) {
        try addEvent(scanner: scanner, at: at, description: description, baselineSize: baselineSize, audit: nil)
    }

    public func deleteEvent(id: Int64, reason: String) throws(QCStoreError) -> (QCEvent, Int) {
        try deleteEvent(id: id, reason: reason, audit: nil)
    }

    public func setBaseline(scanner: String, from: String, to: String) throws(QCStoreError) -> [QCBaseline] {
        try setBaseline(scanner: scanner, from: from, to: to, audit: nil)
    }
}
