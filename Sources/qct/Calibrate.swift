import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTExport
import QCTPhantoms
import QCTReport

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
        let catalog = try phantomOptions.load()
        guard let definition = catalog.phantoms[phantom] else {
            printError("unknown phantom \"\(phantom)\"; known: \(catalog.phantoms.keys.sorted().joined(separator: ", "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        let certificate = catalog.certificate(for: phantom, serial: serial)
        if let serial, certificate == nil {
            printError("no certificate with serial \(serial) for \(phantom)")
            throw ExitCode(ReadExit.nothingUsable)
        }
        let read = SeriesReader.read(paths: [series], progress: ProgressBar(label: "reading").update)
        for r in read.rejected { printError("refused: \(r.path): \(r.reason)") }
        let candidates = try ctSeriesCandidates(read, path: series, choice: seriesChoice)
        var settings = RodSearchSettings()
        settings.roiInsetMM = roiInset
        settings.trimEndsMM = trimEnds
        settings.slabMM = slab
        settings.alongZSlabMM = alongZ
        let manual = try rois.map { try readJSON(ManualROIs.self, at: $0, what: "a ROI file") }
        let (info, volume, result) = try firstHolding(candidates, path: series, what: "the \(definition.name)", analyse: { _, volume in
            do {
                return try Calibrator.calibrate(volume, phantom: definition, certificate: certificate, settings: settings,
                                                manual: manual, manualSource: rois)
            } catch {
                printError("\(series): \(error)")
                throw ExitCode(ReadExit.nothingUsable)
            }
        }, found: { $0.notFound == nil })
        var checked = result
        let gaps = SliceGapCheck.checks(info, refused: read.rejected)
        if !gaps.isEmpty {
            checked.checks += gaps
            checked.status = max(checked.status, .warn)
        }
        let report = CalibrationReport(result: checked, series: info)
        if json { print(try report.jsonString()) } else { print(report.text()) }
        if let overlay {
            let rods = result.rods
            let mid = rods.isEmpty ? volume.geometry.slices / 2 : rods.map { ($0.sliceRange[0] + $0.sliceRange[1]) / 2 }.sorted()[rods.count / 2]
            let header = OverlayHeader(title: "qct calibrate: rod ROIs on slice \(mid)", scanner: scannerLabel(info.scanner),
                                       acquired: DicomDateTime.iso(info.acquisition.acquisitionDateTime), phantom: definition.name,
                                       certificate: result.certificate, status: checked.status.rawValue)
            let figure = Overlay(header: header, panels: [OverlayPanel(slice: mid, shapes: OverlayShape.rods(rods))])
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
