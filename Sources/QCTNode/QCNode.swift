import Foundation
import Logging
import Metrics
import QCTWorkflows

/// A QC node: receives series (DICOM Storage SCP, or a watched folder) into the inbox, calls a
/// series complete after `stableAfter` seconds without a new file, analyses it with the same
/// workflow as `qct qc record`, and keeps what became of it in the history (`QCInputRecord`):
/// a result, a failure with its reason (files kept in `.failed/`), or a refusal when no phantom
/// is in it (files deleted or quarantined). With a patient intake, a series with no phantom but a
/// spine is analysed as `qct spine` does and kept in the patient database (`PatientIntake`).
/// Nothing received is lost across a restart: series left in the inbox are analysed when the node
/// starts. Logs carry UIDs, AE titles and reasons, never a patient identifier (only a patient
/// exam's analysis reads them, into the patient database and its report).
public final class QCNode: @unchecked Sendable {
    public let settings: NodeSettings
    let recorder: QCRecorder
    let inbox: InboxLayout
    /// The spine analysis of patient exams, when the settings have a patient intake.
    let spine: PatientSpineAnalysis?
    let tracker = SeriesTracker()
    let logger: Logger
    private var scp: StorageSCP?
    private var worker: Thread?
    private let stopping = NSCondition()
    private var stopRequested = false
    private var stopped = false
    private var watchSeen: [String: (size: UInt64, modified: Date)] = [:]
    /// Metrics (swift-metrics; `qct serve` exports them to Prometheus at /metrics).
    let instancesReceived = Counter(label: "qct_instances_received_total")
    let associationsRefused = Counter(label: "qct_associations_refused_total")
    let analysisDuration = Metrics.Timer(label: "qct_analysis_seconds")

    /// Fails when the settings have a patient intake but the catalog has no patient policy.
    public init(settings: NodeSettings, recorder: QCRecorder, logger: Logger) throws(WorkflowFailure) {
        self.settings = settings
        self.recorder = recorder
        self.inbox = InboxLayout(root: settings.inbox)
        self.logger = logger
        spine = try settings.patients.map { p throws(WorkflowFailure) in try p.analysis(catalog: recorder.recognition.measurement.catalog, store: recorder.store) }
    }

    /// The DICOM port listened on, once started.
    public var dicomPort: UInt16? { scp?.port }

    /// Prepares the inbox, queues what a previous run left, starts the SCP and the analysis loop.
    public func start() throws(WorkflowFailure) {
        try inbox.prepare()
        for w in inbox.waitingSeries() {
            tracker.recover(w.folder, files: w.files, first: w.first, last: w.last)
            logger.info("series left from before a restart", metadata: ["folder": "\(w.folder)", "files": "\(w.files)"])
        }
        if var dicom = settings.dicom {
            dicom.incomingFolder = inbox.incoming
            do {
                scp = try StorageSCP(dicom, store: { [weak self] instance in self?.received(instance) ?? false },
                                     event: { [weak self] e in self?.associationEvent(e) })
            } catch {
                throw WorkflowFailure("cannot listen for DICOM on \(dicom.bindAddress):\(dicom.port): \(error.reason)")
            }
            logger.info("listening for DICOM", metadata: ["address": "\(dicom.bindAddress)", "port": "\(scp!.port)", "ae": "\(dicom.aeTitle)",
                                                         "allowed": "\(dicom.allowed.isEmpty ? "loopback callers" : dicom.allowed.map { $0.aeTitle + ($0.host.map { "@" + $0 } ?? "") }.joined(separator: ","))"])
        }
        let thread = Thread { [weak self] in self?.loop() }
        thread.name = "qct-node"
        worker = thread
        thread.start()
    }

    /// Stops receiving, lets the analysis in progress end, and returns.
    public func stop() {
        scp?.stop()
        scp = nil
        stopping.lock()
        stopRequested = true
        stopping.broadcast()
        while !stopped, worker != nil { stopping.wait() }
        stopping.unlock()
    }

    // MARK: - Receiving

    /// One instance from the SCP: identified from its header, then moved into its series folder.
    func received(_ instance: ReceivedInstance) -> Bool {
        do {
            let id = try InstanceIdentity(path: instance.path)
            let folder = try inbox.place(instance.path, as: id)
            tracker.touch(folder, source: "\(instance.callingAETitle)@\(instance.peerAddress)")
            instancesReceived.increment()
            return true
        } catch let e as DicomReadError {
            logger.warning("instance refused", metadata: ["ae": "\(instance.callingAETitle)", "peer": "\(instance.peerAddress)",
                                                         "sop": "\(instance.sopInstanceUID)", "reason": "\(e.reason)"])
        } catch {
            logger.error("instance not kept", metadata: ["sop": "\(instance.sopInstanceUID)", "reason": "\(error)"])
        }
        return false
    }

    func associationEvent(_ e: AssociationEvent) {
        let metadata: Logger.Metadata = ["ae": "\(e.callingAETitle)", "peer": "\(e.peerAddress)", "detail": "\(e.detail)"]
        switch e.kind {
        case .accepted: logger.debug("association accepted", metadata: metadata)
        case .ended: logger.debug("association ended", metadata: metadata)
        case .refused:
            associationsRefused.increment()
            logger.warning("association refused", metadata: metadata)
        case .error: logger.error("association error", metadata: metadata)
        }
    }

    /// Files in the watched folder whose size and time held still for one poll are taken into the inbox.
    func takeWatched() {
        guard let watch = settings.watch, let walker = FileManager.default.enumerator(atPath: watch) else { return }
        var seen: [String: (UInt64, Date)] = [:]
        while let relative = walker.nextObject() as? String {
            let path = (watch as NSString).appendingPathComponent(relative)
            guard let a = try? FileManager.default.attributesOfItem(atPath: path), a[.type] as? FileAttributeType == .typeRegular,
                  let size = a[.size] as? UInt64, let modified = a[.modificationDate] as? Date else { continue }
            if let before = watchSeen[path], before.size == size, before.modified == modified {
                take(path)
            } else {
                seen[path] = (size, modified)
            }
        }
        watchSeen = seen
    }

    private func take(_ path: String) {
        let part = (inbox.incoming as NSString).appendingPathComponent("watch-\(UUID().uuidString).part")
        do {
            try FileManager.default.copyItem(atPath: path, toPath: part)
            let id = try InstanceIdentity(path: part)
            let folder = try inbox.place(part, as: id)
            tracker.touch(folder, source: "watch")
            instancesReceived.increment()
            try? FileManager.default.removeItem(atPath: path)
        } catch {
            // Not DICOM (or unreadable): set aside, never read again, and named without its path.
            try? FileManager.default.removeItem(atPath: part)
            let aside = (inbox.failed as NSString).appendingPathComponent("unreadable")
            try? FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
            try? FileManager.default.moveItem(atPath: path, toPath: (aside as NSString).appendingPathComponent(UUID().uuidString))
            let reason = (error as? DicomReadError)?.reason ?? "\(error)"
            logger.warning("watched file set aside", metadata: ["reason": "\(reason)"])
        }
    }

    // MARK: - Analysis

    private func loop() {
        while true {
            stopping.lock()
            if stopRequested {
                stopped = true
                stopping.broadcast()
                stopping.unlock()
                return
            }
            stopping.unlock()
            takeWatched()
            for (folder, entry) in tracker.takeDue(stableAfter: settings.stableAfter) { analyse(folder, entry) }
            stopping.lock()
            if !stopRequested { _ = stopping.wait(until: Date().addingTimeInterval(settings.pollInterval)) }
            stopping.unlock()
        }
    }

    func analyse(_ folder: String, _ entry: SeriesTracker.Entry) {
        let started = Date()
        let analysis = SeriesAnalysis(recorder: recorder, inbox: inbox, patients: settings.patients, spine: spine)
        let outcome: SeriesAnalysis.Outcome
        do { outcome = try analysis.run(folder) } catch {
            logger.error("history store unavailable; will retry", metadata: ["folder": "\(folder)", "reason": "\(error)"])
            tracker.retry(folder, entry)
            return
        }
        let uid = outcome.seriesInstanceUID ?? (folder as NSString).lastPathComponent
        let record = QCInputRecord(seriesInstanceUID: uid, source: entry.source, firstReceived: Self.iso(entry.first),
                                   lastReceived: Self.iso(entry.last), finishedAt: Self.iso(Date()), files: entry.files,
                                   outcome: outcome.outcome, reason: outcome.reason, resultID: outcome.resultID)
        do {
            _ = try recorder.store.recordInput(record)
        } catch {
            logger.error("history store unavailable; will retry", metadata: ["folder": "\(folder)", "reason": "\(error)"])
            tracker.retry(folder, entry)
            return
        }
        do {
            switch outcome.outcome {
            case .recorded, .duplicate, .patient: inbox.remove(folder)
            case .failed: _ = try inbox.move(folder, into: inbox.failed)
            case .refused:
                if let q = settings.quarantine { _ = try inbox.move(folder, into: q) } else { inbox.remove(folder) }
            }
        } catch {
            logger.error("series folder not moved", metadata: ["folder": "\(folder)", "reason": "\(error)"])
        }
        Counter(label: "qct_series_analysed_total", dimensions: [("outcome", outcome.outcome.rawValue)]).increment()
        analysisDuration.recordNanoseconds(Int64(Date().timeIntervalSince(started) * 1e9))
        logger.info("series \(outcome.outcome.rawValue)", metadata: ["series": "\(uid)", "files": "\(entry.files)", "source": "\(entry.source)",
                                                              "reason": "\(outcome.reason)"])
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}
