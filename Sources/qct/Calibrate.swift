import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTExport
import QCTPhantoms
import QCTReport
import QCTWorkflows

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find a phantom's rods with no hints, measure them and fit the calibration.",
        discussion: "Exit status: 0 every check passed; 3 a check warned; 4 a check failed; 2 nothing could be computed.")

    @Argument(help: "Folder or files of one CT series.")
    var series: String

    @Option(help: "Phantom id (see qct phantoms).")
    var phantom: String

    @Option(help: "Certificate serial (default: the phantom's only or first certificate).")
    var serial: String?

    @OptionGroup var phantomOptions: PhantomOptions
    @OptionGroup var seriesChoice: SeriesOption

    @Option(help: "Manual ROIs (JSON: {\"rods\": [{\"name\", \"centerMM\": [x, y], \"radiusMM\"}]}) instead of detection.")
    var rois: String?

    @Option(name: .customLong("roi-inset"), help: "ROI inset from the rod edge, mm.") var roiInset: Double = 1.5
    @Option(name: .customLong("trim-ends"), help: "Trimmed at rod ends inside the scan, mm.") var trimEnds: Double = 10
    @Option(help: "Slab thickness for detection, mm.") var slab: Double = 5
    @Option(name: .customLong("along-z"), help: "Also fit the calibration in slabs of this many mm along z (per-slice calibration).")
    var alongZ: Double?

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Write the ROIs drawn on the middle slice (.svg or .png).") var overlay: String?
    @Option(help: "Save the calibration with the scanner identity and protocol it is valid for.") var save: String?

    func run() throws {
        var settings = RodSearchSettings()
        settings.roiInsetMM = roiInset
        settings.trimEndsMM = trimEnds
        settings.slabMM = slab
        settings.alongZSlabMM = alongZ
        let calibrated = try Console.run {
            let catalog = try PhantomCatalog.load(directories: phantomOptions.directories, certificates: phantomOptions.certificates,
                                                  report: Console.report)
            let calibration = try PhantomCalibration(phantom: phantom, serial: serial, catalog: catalog, settings: settings, manualROIs: rois)
            return (calibration.definition.name, try calibration.calibrate(path: series, selection: seriesChoice.selection, report: Console.report,
                                                                           progress: ProgressBar(label: "reading").update))
        }
        let (volume, checked) = (calibrated.1.volume, calibrated.1.result)
        let report = calibrated.1.report
        if json { print(try report.jsonString()) } else { print(report.text()) }
        if let overlay {
            let figure = OverlayFigures.calibration(calibrated.1, phantomName: calibrated.0)
            try OutputFile.write(overlay) { try Data(figure.data(volume: volume, forPath: overlay)).write(to: URL(fileURLWithPath: overlay), options: .atomic) }
        }
        if let save {
            try OutputFile.write(save) { try report.save(to: save) }
        }
        switch checked.status {
        case .pass: return
        case .warn: throw ExitCode(3)
        case .fail: throw ExitCode(4)
        }
    }
}
