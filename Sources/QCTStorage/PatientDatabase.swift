import Foundation
import GRDB
import QCTQualityControl

/// One patient exam as kept: who (Patient ID), which series, when, how it was calibrated, and
/// its BMD per vertebra and mean. The whole report is kept beside it (JSON).
public struct PatientExam: Codable, Sendable, Equatable {
    public var id: Int64?
    public var patientID: String
    public var seriesInstanceUID: String
    /// Acquisition date and time, ISO.
    public var acquired: String
    public var recordedAt: String?
    /// same-scan, history, internal or file.
    public var calibration: String
    /// mg K2HPO4/cm3 or mg HA/cm3.
    public var unit: String
    /// BMD per named vertebra.
    public var vertebrae: [String: Double]
    public var meanBMD: Double?
    /// The vertebrae of the mean, e.g. "L1,L2".
    public var meanOf: String?
    public var category: String?
    public var analysisVersion: String
    public var report: String

    public init(patientID: String, seriesInstanceUID: String, acquired: String, calibration: String, unit: String, vertebrae: [String: Double],
                meanBMD: Double?, meanOf: String?, category: String?, analysisVersion: String, report: String) {
        self.patientID = patientID
        self.seriesInstanceUID = seriesInstanceUID
        self.acquired = acquired
        self.calibration = calibration
        self.unit = unit
        self.vertebrae = vertebrae
        self.meanBMD = meanBMD
        self.meanOf = meanOf
        self.category = category
        self.analysisVersion = analysisVersion
        self.report = report
    }
}

/// Patient results, in a database of their own (SQLite through GRDB), never in the QC history:
/// a QC dashboard or a QC database shared between sites holds no patient. Patient identifiers are
/// stored here so follow-up can find an earlier exam; they are never logged.
public final class PatientDatabase: @unchecked Sendable {
    /// SQLite `application_id` of a qct patient database ("QCTP").
    public static let applicationID: Int32 = 0x5143_5450
    public let path: String
    let queue: DatabaseQueue

    /// Opens (creating if needed) the database at `path`; a file that is not a qct patient database
    /// (a QC history included) is refused and left untouched. With `readOnly`, a missing file is refused.
    public init(path: String, readOnly: Bool = false) throws(QCStoreError) {
        self.path = path
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else { throw QCStoreError("\(path): no patient database there (qct spine --record creates one)") }
            try QCDatabase.checkForeign(path, applicationID: Self.applicationID, what: "patient database")
        } else {
            try QCDatabase.prepareWritable(path, applicationID: Self.applicationID, what: "patient database")
        }
        var config = Configuration()
        config.busyMode = .timeout(60)
        config.foreignKeysEnabled = true
        config.readonly = readOnly
        if !readOnly {
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            if !readOnly { try Self.migrator.migrate(queue) }
        } catch {
            throw QCStoreError("\(path): \(QCDatabase.describe(error))")
        }
    }

    /// $XDG_DATA_HOME/qct/patients.sqlite, else ~/.local/share/qct/patients.sqlite: beside the QC history, not in it.
    public static func defaultPath() -> String { QCDatabase.defaultPath(named: "patients.sqlite") }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE exam (
                  id INTEGER PRIMARY KEY,
                  patientID TEXT NOT NULL,
                  seriesInstanceUID TEXT NOT NULL UNIQUE,
                  acquired TEXT NOT NULL,
                  recordedAt TEXT NOT NULL,
                  calibration TEXT NOT NULL,
                  unit TEXT NOT NULL,
                  meanBMD REAL, meanOf TEXT, category TEXT,
                  analysisVersion TEXT NOT NULL,
                  report TEXT NOT NULL);
                CREATE INDEX exam_patient ON exam(patientID, acquired);
                CREATE TABLE examVertebra (
                  examId INTEGER NOT NULL REFERENCES exam(id),
                  name TEXT NOT NULL,
                  bmd REAL NOT NULL,
                  PRIMARY KEY (examId, name));
                """)
        }
        return m
    }

    /// Keeps `exam`; the same series again is not stored twice (`stored` false, the one kept returned).
    public func record(_ exam: PatientExam, at: String) throws(QCStoreError) -> (PatientExam, stored: Bool) {
        do {
            var outcome: (PatientExam, stored: Bool) = (exam, false)
            try queue.inTransaction(.immediate) { db in
                if let kept = try Self.exams(db, "WHERE seriesInstanceUID = ?", [exam.seriesInstanceUID]).first {
                    outcome = (kept, false)
                    return .commit
                }
                guard exam.vertebrae.values.allSatisfy(\.isFinite), exam.meanBMD?.isFinite ?? true else {
                    throw QCStoreError("an exam with a value that is not a number is not stored")
                }
                try db.execute(sql: """
                    INSERT INTO exam (patientID, seriesInstanceUID, acquired, recordedAt, calibration, unit, meanBMD, meanOf, category, analysisVersion, report)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [exam.patientID, exam.seriesInstanceUID, exam.acquired, at, exam.calibration, exam.unit, exam.meanBMD,
                                     exam.meanOf, exam.category, exam.analysisVersion, exam.report])
                let id = db.lastInsertedRowID
                for (name, bmd) in exam.vertebrae {
                    try db.execute(sql: "INSERT INTO examVertebra (examId, name, bmd) VALUES (?, ?, ?)", arguments: [id, name, bmd])
                }
                var kept = exam
                (kept.id, kept.recordedAt) = (id, at)
                outcome = (kept, true)
                return .commit
            }
            return outcome
        } catch let e as QCStoreError {
            throw e
        } catch {
            throw QCStoreError("\(path): \(QCDatabase.describe(error))")
        }
    }

    /// The latest exam of `patientID` acquired before `acquired` (another series), in `unit`; nil when none.
    public func earlier(patientID: String, before acquired: String, unit: String, excluding series: String) throws(QCStoreError) -> PatientExam? {
        do {
            return try queue.read { db in
                try Self.exams(db, "WHERE patientID = ? AND acquired < ? AND unit = ? AND seriesInstanceUID <> ? ORDER BY acquired DESC, id DESC LIMIT 1",
                               [patientID, acquired, unit, series]).first
            }
        } catch {
            throw QCStoreError("\(path): \(QCDatabase.describe(error))")
        }
    }

    /// Every exam of a patient, oldest first.
    public func exams(patientID: String) throws(QCStoreError) -> [PatientExam] {
        do {
            return try queue.read { db in try Self.exams(db, "WHERE patientID = ? ORDER BY acquired, id", [patientID]) }
        } catch {
            throw QCStoreError("\(path): \(QCDatabase.describe(error))")
        }
    }

    static func exams(_ db: Database, _ clause: String, _ arguments: StatementArguments) throws -> [PatientExam] {
        try Row.fetchAll(db, sql: "SELECT * FROM exam " + clause, arguments: arguments).map { r in
            let id: Int64 = r["id"]
            var vertebrae: [String: Double] = [:]
            for v in try Row.fetchAll(db, sql: "SELECT name, bmd FROM examVertebra WHERE examId = ?", arguments: [id]) { vertebrae[v["name"]] = v["bmd"] }
            var e = PatientExam(patientID: r["patientID"], seriesInstanceUID: r["seriesInstanceUID"], acquired: r["acquired"], calibration: r["calibration"],
                                unit: r["unit"], vertebrae: vertebrae, meanBMD: r["meanBMD"], meanOf: r["meanOf"], category: r["category"],
                                analysisVersion: r["analysisVersion"], report: r["report"])
            (e.id, e.recordedAt) = (id, r["recordedAt"])
            return e
        }
    }
}
