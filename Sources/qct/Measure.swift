import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport
import QCTWorkflows

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the European Spine Phantom's vertebrae in mg K2HPO4/cm³.",
        discussion: """
            Finds the three vertebral bodies with no hints, places a trabecular ROI inside each cortical shell over a \
            mid-vertebral slab, and converts its mean HU with the Mindways calibration of the same scan, or with a \
            calibration saved by `qct calibrate --save` (--calibration; refused when scanner, kVp, kernel, reconstruction \
            diameter or table height differ or it is older than --max-age days, unless --allow-mismatch, which is recorded).
            Exit status: 0 every check passed; 3 a check warned; 4 a check failed (e.g. a vertebra missing: no number is \
            given for it); 2 nothing could be computed.
            """)

    @Argument(help: "Folder or files of one CT series.")
    var series: String

    @Flag(help: "Measure the European Spine Phantom (the default spine phantom).")
    var esp = false

    @OptionGroup var options: MeasureOptions
    @OptionGroup var seriesChoice: SeriesOption

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Write the ROIs drawn on each vertebra's middle slice (.svg or .png).") var overlay: String?
    @Option(help: "Also write the JSON result to this file.") var save: String?

    func run() throws {
        let measurement = try options.measurement()
        let measured = try Console.run {
            try measurement.measure(path: series, selection: seriesChoice.selection, report: Console.report,
                                    progress: ProgressBar(label: "reading").update)
        }
        let (volume, report) = (measured.volume, measured.report)
        let text = try jsonString(report)
        print(json ? text : report.text())
        if let save {
            try OutputFile.write(text, to: save)
        }
        if let overlay {
            let figure = OverlayFigures.measurement(measured)
            try OutputFile.write(overlay) { try Data(figure.data(volume: volume, forPath: overlay)).write(to: URL(fileURLWithPath: overlay), options: .atomic) }
        }
        switch report.status {
        case .pass: return
        case .warn: throw ExitCode(3)
        case .fail: throw ExitCode(4)
        }
    }
}
