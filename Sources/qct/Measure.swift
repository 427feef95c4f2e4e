import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport

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
        let pipeline = try SpinePipeline(options)
        let read = SeriesReader.read(paths: [series], progress: ProgressBar(label: "reading").update)
        for r in read.rejected { printError("refused: \(r.path): \(r.reason)") }
        let candidates = try ctSeriesCandidates(read, path: series, choice: seriesChoice)
        let (_, volume, report) = try firstHolding(candidates, path: series, what: "the \(pipeline.definition.name)", analyse: { info, volume in
            do { return try pipeline.measure(volume, series: info, path: series, refused: read.rejected) } catch {
                printError("refused: \(error)")
                throw ExitCode(ReadExit.nothingUsable)
            }
        }, found: { $0.vertebrae.contains { $0.meanHU != nil } })
        let used = report.calibration
        let text = try jsonString(report)
        print(json ? text : report.text())
        if let save {
            try OutputFile.write(text, to: save)
        }
        if let overlay {
            let rods = OverlayShape.rods(used?.source == "same scan" ? used?.rods ?? [] : [])
            let panels = report.vertebrae.compactMap { v -> OverlayPanel? in
                guard let roi = v.roi, v.sliceRange.count == 2 else { return nil }
                let shape = OverlayShape(centerMM: (roi.centerMM[0], roi.centerMM[1]), semiAxesMM: (roi.semiAxesMM[0], roi.semiAxesMM[1]),
                                         angleDegrees: roi.angleDegrees,
                                         label: "\(v.name) \(OverlayText.number(v.meanHU)) HU" + (v.bmd.map { " = \(OverlayText.number($0)) mg/cm³" } ?? ""),
                                         warning: false)
                return OverlayPanel(slice: (v.sliceRange[0] + v.sliceRange[1]) / 2, shapes: [shape])
            }
            let header = OverlayHeader(title: "qct measure: trabecular ROIs on each vertebra's middle slice", scanner: scannerLabel(report.scanner),
                                       acquired: report.acquired, phantom: report.phantom, certificate: report.certificate, status: report.status)
            let figure = Overlay(header: header, panels: panels.isEmpty ? [OverlayPanel(slice: volume.geometry.slices / 2, shapes: rods)] : panels)
            try OutputFile.write(overlay) { try Data(figure.data(volume: volume, forPath: overlay)).write(to: URL(fileURLWithPath: overlay), options: .atomic) }
        }
        switch CalibrationCheck.Status(rawValue: report.status) ?? .fail {
        case .pass: return
        case .warn: throw ExitCode(3)
        case .fail: throw ExitCode(4)
        }
    }
}
