import ArgumentParser
import Foundation
import Logging
import QCTNode
import QCTServer
import QCTWorkflows

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a QC node: receive phantom scans over DICOM (or from a folder), analyse and record them.",
        discussion: """
            A DICOM Storage SCP (C-ECHO; C-STORE of CT and Enhanced CT in every transfer syntax qct reads) writes each \
            instance into the inbox by study and series. A series with no new file for --stable-after seconds is analysed \
            as by `qct qc record` and stored; a failure is stored with its reason (files kept in INBOX/.failed), a series \
            with no phantom in it is refused (deleted, or moved to --quarantine). What a restart finds in the inbox is \
            analysed. Listens on 127.0.0.1 unless --bind says otherwise; without --allow, only callers on this machine are \
            let in. Stops on SIGINT or SIGTERM. See Docs/server.md.
            """)
    @Option(help: "TOML configuration file (Docs/server.md); a flag given here wins over it.") var config: String?
    @OptionGroup var database: DatabaseOption
    @Option(help: "Inbox folder (default: beside the database, inbox/).") var inbox: String?
    @Option(help: "DICOM port (default 11112; 0: any free port, printed at start).") var dicomPort: Int?
    @Option(help: "Called AE title answered (default QCT).") var aeTitle: String?
    @Option(help: "Calling AE title allowed, optionally from one IPv4 address (AE or AE@IP; repeatable).") var allow: [String] = []
    @Option(help: "Address the DICOM port listens on (default 127.0.0.1; 0.0.0.0: every interface).") var bind: String?
    @Flag(help: "No DICOM listener (with --watch).") var noDicom = false
    @Option(help: "Folder a scanner exports to; its files are taken into the inbox.") var watch: String?
    @Option(help: "Seconds without a new file after which a series is complete (default 30).") var stableAfter: Double?
    @Option(help: "Folder for series with no phantom in them (default: they are deleted).") var quarantine: String?
    @Option(help: "Analyse series with no phantom but a spine as patient exams (qct spine) and keep them in this patient database.") var patients: String?
    @Option(help: "Calibration of patient exams: history (default: the node's own QC history), internal or same-scan.") var patientCalibration: String?
    @Option(help: "Oldest QC calibration a patient exam may use, days (default: the patient policy's).") var patientMaxAge: Double?
    @Option(help: "Folder for each patient exam's report (SERIES-UID.html and .json).") var patientReports: String?
    @Option(help: "Scans forming a new baseline (default 15).") var baselineSize: Int?
    @Option(help: "CUSUM decision interval h, in baseline SDs (default 5).") var cusumH: Double?
    @Option(help: "HTTP port of the dashboard and API (default 8080; 0: any free port, printed at start).") var httpPort: Int?
    @Option(help: "Address the HTTP port listens on (default 127.0.0.1).") var httpBind: String?
    @Flag(help: "No dashboard.") var noHttp = false
    @Flag(help: "Fill a new database (--db, default qct-demo/qc.sqlite) with a simulated 60-day history of QCT1–QCT3, then serve it.") var demo = false
    @Option(help: "Make a user who may write through the dashboard's API (physicist or admin: --role), print their token once, and exit.") var addUser: String?
    @Option(help: "Role of --add-user: physicist or admin.") var role = "physicist"
    @OptionGroup var measure: MeasureOptions

    func run() throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var flags = NodeFlags()
        (flags.config, flags.db, flags.inbox, flags.watch, flags.quarantine) = (config, database.db, inbox, watch, quarantine)
        (flags.dicomBind, flags.httpBind, flags.aeTitle, flags.dicomPort, flags.httpPort) = (bind, httpBind, aeTitle, dicomPort, httpPort)
        (flags.baselineSize, flags.cusumH, flags.stableAfter, flags.allow) = (baselineSize, cusumH, stableAfter, allow)
        (flags.phantoms, flags.noDicom, flags.noHttp, flags.demo) = (measure.phantomOptions.directories, noDicom, noHttp, demo)
        (flags.patients, flags.patientCalibration, flags.patientMaxAgeDays, flags.patientReports) = (patients, patientCalibration, patientMaxAge, patientReports)
        let launch = try Console.run { try NodeLaunch(flags) }
        var (measure, database) = (measure, database)
        (measure.phantomOptions.directories, database.db) = (launch.phantoms, launch.db)
        let registry = DashboardServer.bootstrapMetrics()
        let store = try database.open()
        if let name = addUser {
            guard let r = QCUser.Role(rawValue: role) else { try fail("--role must be physicist or admin") }
            let (user, token) = try storeCall { try NodeAccess(store: store).addUser(name: name, role: r, now: DashboardServer.now()) }
            return printNow("user \(user.name) (\(user.role.rawValue)); API token, shown once: \(token)")
        }
        let recorder = try Console.run {
            QCRecorder(recognition: try PhantomRecognition(measurement: try measure.measurement()), store: store,
                       baselineSize: launch.baselineSize, cusumH: launch.cusumH)
        }
        if demo { try Console.run { try launch.fillDemo(recorder: recorder, catalog: try measure.phantomOptions.load(), storePath: QCStoreLocation.localPath(database.db), progress: printError) } }
        let settings = try Console.run { try launch.settings(storePath: QCStoreLocation.localPath(database.db)) }
        let node = try Console.run { try QCNode(settings: settings, recorder: recorder, logger: Logger(label: "qct.node")) }
        try Console.run { try node.start() }
        if let port = node.dicomPort, let d = settings.dicom { printNow("qct serve: DICOM \(d.bindAddress):\(port) AE \(d.aeTitle), inbox \(settings.inbox)") }
        if launch.httpOn {
            // Serves until SIGINT or SIGTERM (Hummingbird's graceful shutdown), then the node stops.
            var server = DashboardServer(store: store, host: launch.httpHost, port: launch.httpPort, logger: Logger(label: "qct.http"), registry: registry)
            server.baselineSize = launch.baselineSize
            let done = DispatchSemaphore(value: 0), host = launch.httpHost
            Task {
                do { try await server.run { port in printNow("qct serve: HTTP \(host):\(port)") } } catch { printError("error: HTTP: \(error)") }
                done.signal()
            }
            done.wait()
        } else {
            waitForTermination()
        }
        node.stop()
    }
}

/// Blocks until SIGINT or SIGTERM.
private func waitForTermination() {
    let done = DispatchSemaphore(value: 0)
    let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler { done.signal() }
        s.resume()
        return s
    }
    done.wait()
    sources.forEach { $0.cancel() }
}
