import Foundation
import QCTReport
import QCTWorkflows

/// One complete series analysed as `qct qc record` analyses it, and what the node keeps of it: a
/// stored result, a duplicate, a failure with its reason, or a refusal (no phantom in it). With
/// a patient intake, a series with no phantom but a spine is a patient exam instead.
struct SeriesAnalysis {
    let recorder: QCRecorder
    let inbox: InboxLayout
    var patients: PatientIntake?
    var spine: PatientSpineAnalysis?

    struct Outcome {
        var outcome: QCInputRecord.Outcome
        var reason: String
        var resultID: Int64?
        var seriesInstanceUID: String?
    }

    /// Analyses and stores the series in `folder`. A store error is thrown (the node retries it);
    /// every other problem is an outcome.
    func run(_ folder: String) throws(QCStoreError) -> Outcome {
        let diagnostics = DiagnosticLog()
        let plan: QCRecorder.Plan
        do { plan = try recorder.plan([folder], report: diagnostics.sink) } catch {
            return Outcome(outcome: .failed, reason: reason(error.description, folder: folder))
        }
        guard !plan.series.isEmpty else {
            return Outcome(outcome: .failed, reason: reason(diagnostics.refusals.map(\.line).joined(separator: "; "), folder: folder,
                                                            fallback: "no readable CT series"))
        }
        var last = Outcome(outcome: .failed, reason: "nothing analysed")
        for s in plan.series {
            var warnings: [String] = []
            let before = diagnostics.count
            guard let input = recorder.analyse(s, refused: plan.refused, warnings: &warnings, report: diagnostics.sink) else {
                let said = diagnostics.since(before)
                let notPhantom = said.contains { $0.notAPhantomScan }
                if notPhantom, let spine {
                    last = patientExam(s, folder: folder, spine: spine, notPhantom: said)
                    continue
                }
                last = Outcome(outcome: notPhantom ? .refused : .failed,
                               reason: reason(said.filter { $0.severity == .refused || $0.severity == .error }.map(\.line).joined(separator: "; "),
                                              folder: folder, fallback: "analysis gave no result"),
                               seriesInstanceUID: s.seriesInstanceUID)
                continue
            }
            switch try recorder.store(input) {
            case .duplicate(let recordedAt, _, _):
                last = Outcome(outcome: .duplicate, reason: "stored before, on \(recordedAt)", seriesInstanceUID: s.seriesInstanceUID)
            case .stored(let r):
                let note = warnings.isEmpty ? "" : " (" + reason(warnings.joined(separator: "; "), folder: folder) + ")"
                last = Outcome(outcome: .recorded, reason: r.state.rawValue + note, resultID: r.id, seriesInstanceUID: s.seriesInstanceUID)
            }
        }
        return last
    }

    /// The series as a patient exam: measured, recorded in the patient database, its report written
    /// when a folder is set. The outcome's reason names the vertebrae and the calibration only.
    func patientExam(_ s: QCRecorder.PlannedSeries, folder: String, spine: PatientSpineAnalysis, notPhantom: [Diagnostic]) -> Outcome {
        let analysed: PatientSpineAnalysis.Analysed
        do {
            analysed = try spine.analyse(path: folder, selection: SeriesSelection(uid: s.seriesInstanceUID), report: { _ in })
        } catch let e as WorkflowFailure {
            let why = reason(e.description, folder: folder)
            if e.diagnostics.contains(where: \.noSpine) {
                let phantom = reason(notPhantom.filter { $0.severity == .refused || $0.severity == .error }.map(\.line).joined(separator: "; "), folder: folder)
                return Outcome(outcome: .refused, reason: reason([phantom, "no spine: " + why].filter { !$0.isEmpty }.joined(separator: "; "), folder: folder),
                               seriesInstanceUID: s.seriesInstanceUID)
            }
            return Outcome(outcome: .failed, reason: reason("patient exam not analysed: " + why, folder: folder), seriesInstanceUID: s.seriesInstanceUID)
        } catch {
            return Outcome(outcome: .failed, reason: reason("patient exam not analysed: \(error)", folder: folder), seriesInstanceUID: s.seriesInstanceUID)
        }
        let r = analysed.report
        var note = ""
        if let dir = patients?.reports {
            let name = r.seriesInstanceUID.isEmpty ? UUID().uuidString : r.seriesInstanceUID
            let base = (dir as NSString).appendingPathComponent(name)
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try jsonString(r).write(toFile: base + ".json", atomically: true, encoding: .utf8)
                try SpineHTML.page(r, figure: OverlayFigures.spine(analysed).svg(volume: analysed.volume), generated: QCNode.iso(Date()))
                    .write(toFile: base + ".html", atomically: true, encoding: .utf8)
            } catch {
                note = "; report not written: \((error as NSError).localizedDescription)"
            }
        }
        let measured = r.vertebrae.compactMap { $0.bmd == nil ? nil : $0.reading.name }
        let calibration = switch r.calibration.method {
        case .history: r.calibration.history.map { String(format: "QC history result %lld, %.1f days %@", $0.calibration.resultID, abs($0.ageDays), $0.ageDays >= 0 ? "before" : "after") } ?? "QC history"
        default: r.calibration.method.rawValue
        }
        return Outcome(outcome: .patient, reason: "patient exam: \(measured.isEmpty ? "no vertebra measured" : measured.joined(separator: ", ") + " measured"); calibration \(calibration); kept in the patient database" + note,
                       seriesInstanceUID: s.seriesInstanceUID)
    }

    /// A reason as stored and shown: the inbox folder left out of paths (a file is named by its
    /// SOP Instance UID there), one line, at most 600 characters.
    func reason(_ text: String, folder: String, fallback: String = "") -> String {
        var t = text.isEmpty ? fallback : text
        t = t.replacingOccurrences(of: folder + "/", with: "").replacingOccurrences(of: folder, with: "series")
        t = t.replacingOccurrences(of: inbox.root + "/", with: "")
        t = t.replacingOccurrences(of: "\n", with: " ")
        return t.count > 600 ? String(t.prefix(599)) + "…" : t
    }
}

/// Diagnostics gathered from a workflow, in order.
final class DiagnosticLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Diagnostic] = []

    var sink: DiagnosticSink { { [self] d in lock.withLock { items.append(d) } } }
    var count: Int { lock.withLock { items.count } }
    func since(_ index: Int) -> [Diagnostic] { lock.withLock { Array(items[min(index, items.count)...]) } }
    var refusals: [Diagnostic] { lock.withLock { items.filter { $0.severity == .refused || $0.severity == .error } } }
}
