import Foundation
import QCTWorkflows

/// What `qct serve` was told on its command line (nil: not given), merged with its `--config`
/// file and the defaults into what the node runs with. A flag wins over the file, the file over
/// the default.
public struct NodeFlags: Sendable {
    public var config, db, inbox, watch, quarantine, dicomBind, httpBind, aeTitle: String?
    public var patients, patientCalibration, patientReports: String?
    public var patientMaxAgeDays: Double?
    public var dicomPort, httpPort, baselineSize: Int?
    public var stableAfter, cusumH: Double?
    public var allow: [String] = []
    public var phantoms: [String] = []
    public var noDicom = false, noHttp = false, demo = false

    public init() {}
}

/// The merged settings, before the history is opened.
public struct NodeLaunch: Sendable {
    public var db: String?
    public var phantoms: [String]
    public var baselineSize: Int
    public var cusumH: Double
    public var httpOn: Bool
    public var httpHost: String
    public var httpPort: Int
    let flags: NodeFlags
    let file: NodeConfigFile

    /// Reads the configuration file (if any) and merges; a setting out of range is a failure naming it.
    public init(_ flags: NodeFlags) throws(WorkflowFailure) {
        let file = try flags.config.map { path throws(WorkflowFailure) in try NodeConfigFile.load(path) } ?? NodeConfigFile()
        self.flags = flags
        self.file = file
        baselineSize = flags.baselineSize ?? file.baselineSize ?? 15
        cusumH = flags.cusumH ?? file.cusumH ?? 5
        phantoms = flags.phantoms.isEmpty ? file.phantoms ?? [] : flags.phantoms
        httpOn = !flags.noHttp && (file.httpEnabled ?? true)
        httpHost = flags.httpBind ?? file.httpBind ?? "127.0.0.1"
        httpPort = flags.httpPort ?? file.httpPort ?? 8080
        db = flags.db ?? file.db
        if flags.demo {
            if QCStoreLocation.isServer(db) { throw WorkflowFailure("--demo fills a new SQLite database, not a server; give --db a path") }
            let path = db ?? "qct-demo/qc.sqlite"
            if FileManager.default.fileExists(atPath: path) { throw WorkflowFailure("--demo fills a new database; \(path) exists") }
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            db = path
        }
        let problems = QCRecorder.problems(baselineSize: baselineSize, cusumH: cusumH)
            + SettingProblem.collect([((0...65535).contains(httpPort), "http-port", "must be 0…65535")])
        if !problems.isEmpty { throw WorkflowFailure(problems.map(\.description).joined(separator: "; ")) }
    }

    /// The node's settings; the inbox defaults to `inbox/` beside the database at `storePath`.
    public func settings(storePath: String) throws(WorkflowFailure) -> NodeSettings {
        var s = NodeSettings(inbox: flags.inbox ?? file.inbox
                             ?? ((storePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("inbox"))
        s.watch = flags.watch ?? file.watch
        s.stableAfter = flags.stableAfter ?? file.stableAfter ?? 30
        s.quarantine = flags.quarantine ?? file.quarantine
        if let database = flags.patients ?? file.patients {
            var p = PatientIntake(database: database)
            p.calibration = flags.patientCalibration ?? file.patientCalibration ?? "history"
            p.maxAgeDays = flags.patientMaxAgeDays ?? file.patientMaxAgeDays
            p.reports = flags.patientReports ?? file.patientReports
            s.patients = p
        }
        if !flags.noDicom, file.dicomEnabled ?? true {
            var dicom = StorageSCPSettings(incomingFolder: "")
            guard let port = UInt16(exactly: flags.dicomPort ?? file.dicomPort ?? 11112) else { throw WorkflowFailure("--dicom-port must be 0…65535") }
            dicom.port = port
            dicom.aeTitle = flags.aeTitle ?? file.aeTitle ?? "QCT"
            dicom.bindAddress = flags.dicomBind ?? file.dicomBind ?? "127.0.0.1"
            dicom.allowed = try (flags.allow.isEmpty ? file.allow ?? [] : flags.allow).map { text throws(WorkflowFailure) in try NodeSettings.allowEntry(text) }
            s.dicom = dicom
        }
        if !s.problems.isEmpty { throw WorkflowFailure(s.problems.map(\.description).joined(separator: "; ")) }
        return s
    }

    /// `--demo`: fills the new history with the simulated one, announcing progress.
    public func fillDemo(recorder: QCRecorder, catalog: PhantomCatalog, storePath: String, progress: (String) -> Void) throws(WorkflowFailure) {
        let scratch = ((storePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("scratch")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            try DemoHistory().fill(recorder: recorder, catalog: catalog, scratch: scratch) { done, total in
                if done % 15 == 0 || done == total { progress("demo: \(done)/\(total) scans simulated and recorded") }
            }
        } catch let e as WorkflowFailure { throw e } catch { throw WorkflowFailure("demo: \(error)") }
    }
}
