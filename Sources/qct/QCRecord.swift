import ArgumentParser
import Foundation
import QCTReport
import QCTStatistics
import QCTQualityControl
import QCTStorage
import QCTWorkflows

struct QCRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Analyse daily phantom scans and store every metric with its judgement.",
        discussion: """
            Recognises what each series holds (an ESP on a calibration pad, or a calibration/QA phantom alone), runs \
            calibration and measurement, and stores σ_CT, β_CT, R², each rod's HU and each vertebra's BMD with the scanner, \
            protocol, acquisition time, analysis version, certificate, and the baseline and limits in force. The first \
            --baseline-size scans of a scanner, protocol and phantom form its baseline. A series already stored is reported, \
            not stored again. Exit status: 0 in control (or baseline), 3 warning, 4 out of control, 2 nothing usable.
            """)

    @Argument(help: "Folders or files of CT series.") var inputs: [String]
    @OptionGroup var database: DatabaseOption
    @Option(name: .customLong("baseline-size"), help: "Scans forming a new baseline.") var baselineSize: Int = 15
    @Option(name: .customLong("cusum-h"), help: "CUSUM decision interval h, in baseline SDs (k = 0.5 SD).") var cusumH: Double = 5
    @OptionGroup var measure: MeasureOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Flag(help: "Print JSON (one object per series).") var json = false

    func validate() throws {
        guard baselineSize >= 3 else { throw ValidationError("--baseline-size must be at least 3") }
        guard cusumH > 0 else { throw ValidationError("--cusum-h must be positive") }
    }

    func run() throws {
        let store = try database.open()
        let measurement = try measure.measurement()
        let recorder = try Console.run {
            QCRecorder(recognition: try PhantomRecognition(measurement: measurement), store: store, baselineSize: baselineSize, cusumH: cusumH)
        }
        let plan = try Console.run { try recorder.plan(inputs, selection: seriesChoice.selection, report: Console.report) }
        var worst: ControlState?
        var used = 0
        var inputWarnings: [String] = []
        let progress = BatchProgress(total: plan.series.count, verb: "recorded")
        let interruption = onInterrupt(progress)
        defer { interruption.forEach { $0.cancel() } }
        for s in plan.series {
            let folder = SeriesInput.commonFolder(s.filePaths)
            guard let input = recorder.analyse(s, refused: plan.refused, warnings: &inputWarnings, report: Console.report) else { continue }
            // Stored and announced together: an interruption comes before or after, never between.
            try progress.storing {
                let outcome = try storeCall { () throws(QCStoreError) in try recorder.store(input) }
                used += 1
                switch outcome {
                case .duplicate(let recordedAt, let scanner, let acquired):
                    printNow("already recorded: \(folder) (\(scanner), acquired \(acquired), series \(input.seriesInstanceUID)) on \(recordedAt); not stored again")
                case .stored(let r):
                    worst = max(worst ?? .baseline, r.state)
                    progress.step()
                    if json { printNow(try jsonString(r)) } else { printNow(QCText.recorded(r, folder: folder)) }
                }
            }
        }
        guard used > 0 else {
            printError("nothing recorded: no usable series in \(inputs.joined(separator: " "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        for w in inputWarnings { printError("warning: " + w) }
        // A result stored from incomplete input warns (3) even when it is in control.
        let code = max(exitStatus(worst?.rawValue), inputWarnings.isEmpty ? 0 : 3)
        if code != 0 { throw ExitCode(code) }
    }
}
