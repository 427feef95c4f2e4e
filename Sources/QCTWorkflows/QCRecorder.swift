import Foundation
import QCTCore
import QCTDICOM
import QCTStatistics
import QCTQualityControl

/// Daily QC: reads phantom series, recognises and analyses each, and stores its metrics with the
/// judgement under the baseline in force (oldest first, so each day is judged against the days
/// before it). Every front end records through this.
public struct QCRecorder: Sendable {
    public let recognition: PhantomRecognition
    public let store: any QCHistoryStore
    /// Scans that form a new baseline.
    public var baselineSize: Int
    /// CUSUM decision interval h, in baseline SDs (k = 0.5 SD).
    public var cusumH: Double

    public init(recognition: PhantomRecognition, store: any QCHistoryStore, baselineSize: Int = 15, cusumH: Double = 5) {
        self.recognition = recognition
        self.store = store
        self.baselineSize = baselineSize
        self.cusumH = cusumH
    }

    /// Settings out of range: a baseline needs at least 3 scans, and h must be positive.
    public static func problems(baselineSize: Int, cusumH: Double) -> [SettingProblem] {
        SettingProblem.collect([(baselineSize >= 3, "baseline-size", "must be at least 3"), (cusumH > 0, "cusum-h", "must be positive")])
    }

    /// The series to record, oldest first, with the files refused while reading their headers.
    public struct Plan: Sendable {
        public var series: [PlannedSeries]
        public var refused: [RejectedFile]
    }

    /// A series to record, as its headers describe it. The open files the headers were read from are
    /// not kept: a batch of hundreds of series holds no DCMTK data set while it waits, and each
    /// series is read again, whole, when its turn comes.
    public struct PlannedSeries: Sendable {
        public var seriesInstanceUID: String
        public var modality: String?
        public var acquisitionDateTime: String?
        public var filePaths: [String]

        init(_ s: Series) {
            (seriesInstanceUID, modality, acquisitionDateTime, filePaths) = (s.seriesInstanceUID, s.modality, s.acquisition.acquisitionDateTime, s.filePaths)
        }
    }

    /// Reads the headers under `inputs` and orders the series to record; refused files go to `report`.
    /// A `selection` that names none or several series is a failure.
    public func plan(_ inputs: [String], selection: SeriesSelection = SeriesSelection(), report: DiagnosticSink) throws(WorkflowFailure) -> Plan {
        let headers = SeriesReader.read(paths: inputs, decodePixels: false)
        for r in headers.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        let ordered = headers.series.sorted {
            ($0.acquisition.acquisitionDateTime ?? "", $0.seriesInstanceUID) < ($1.acquisition.acquisitionDateTime ?? "", $1.seriesInstanceUID)
        }
        let chosen = ordered.filter { selection.matches($0) }
        if let uid = selection.uid, chosen.count != 1 {
            throw WorkflowFailure(chosen.isEmpty ? "no series \(uid) in \(inputs.joined(separator: " "))"
                                                 : "--series \(uid) names \(chosen.count) series; give more of the UID")
        }
        return Plan(series: chosen.map(PlannedSeries.init), refused: headers.rejected)
    }

    /// One series analysed into a QC result, or nil (the reason sent to `report`). Input problems that
    /// still allow a result (a slice gap) are added to `warnings`.
    public func analyse(_ s: PlannedSeries, refused: [RejectedFile], warnings: inout [String], report: DiagnosticSink) -> QCResultInput? {
        let folder = SeriesInput.commonFolder(s.filePaths)
        guard SeriesInput.isCT(modality: s.modality) else {
            var refusal = Diagnostic(.refused, SeriesInput.notCT(modality: s.modality, firstFile: s.filePaths.first, path: folder))
            refusal.notAPhantomScan = true
            report(refusal)
            return nil
        }
        let read = SeriesReader.read(paths: s.filePaths)
        guard let (_, info, volume) = read.largestSeries() else {
            report(Diagnostic(.refused, path: folder, "series could not be loaded"))
            return nil
        }
        return recognition.analyse(volume, info: info, folder: folder, refused: refused, warnings: &warnings, report: report)
    }

    /// Stores a result and judges it; the same series twice is stored once.
    public func store(_ input: QCResultInput) throws(QCStoreError) -> QCRecordOutcome {
        try store.record(input, baselineSize: baselineSize, cusumH: cusumH)
    }

    /// What recording a batch did.
    public struct Batch: Sendable {
        public var outcomes: [QCRecordOutcome] = []
        /// Lines about input that still gave a result (slice gaps): such a result warns.
        public var warnings: [String] = []
        /// The worst state among the results stored.
        public var worst: ControlState?
    }

    /// Plans, analyses and stores every series under `inputs`; `stored` sees each outcome as it is stored.
    public func record(_ inputs: [String], selection: SeriesSelection = SeriesSelection(), report: DiagnosticSink,
                       stored: (PlannedSeries, QCRecordOutcome) throws -> Void = { _, _ in }) throws -> Batch {
        try record(plan(inputs, selection: selection, report: report), report: report, stored: stored)
    }

    /// Analyses and stores every series of `plan`, oldest first. Each store and its `stored` call run
    /// inside `progress.storing`, so a front end that stops the batch stops it between a stored
    /// result and its announcement, never inside; each result stored is a step of `progress`.
    public func record(_ plan: Plan, report: DiagnosticSink, progress: BatchProgress? = nil,
                       stored: (PlannedSeries, QCRecordOutcome) throws -> Void = { _, _ in }) throws -> Batch {
        let progress = progress ?? BatchProgress(total: plan.series.count, verb: "recorded")
        return try withoutActuallyEscaping(stored) { stored in
            var batch = Batch()
            for s in plan.series {
                guard let input = analyse(s, refused: plan.refused, warnings: &batch.warnings, report: report) else { continue }
                var outcome: QCRecordOutcome?
                try progress.storing {
                    outcome = try store(input)
                    if case .stored = outcome { progress.step() }
                    try stored(s, outcome!)
                }
                guard let outcome else { continue }
                if case .stored(let r) = outcome { batch.worst = max(batch.worst ?? .baseline, r.state) }
                batch.outcomes.append(outcome)
            }
            return batch
        }
    }

    /// `record` off the cooperative thread pool.
    public func record(_ inputs: [String], selection: SeriesSelection = SeriesSelection(), report: @escaping DiagnosticSink) async throws -> Batch {
        try await Blocking.run { try record(inputs, selection: selection, report: report) }
    }
}
