import ArgumentParser
import Foundation
import QCTReport
import QCTCore
import QCTDICOM
import QCTExport

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a series as an HU volume (.nrrd, .nii or .nii.gz) in patient space.",
        discussion: "Exit status: 0 written from all files; 1 written, some files refused; 2 nothing written.")

    @Argument(help: "DICOM files or folder holding the series.")
    var path: String

    @Option(name: .long, help: "Output file: .nrrd, .nii or .nii.gz.")
    var out: String

    @Option(name: .long, help: "Series Instance UID to export when the path holds several series.")
    var series: String?

    func validate() throws {
        guard VolumeFormat(path: out) != nil else {
            throw ValidationError("--out must end in .nrrd, .nii or .nii.gz: \(out)")
        }
    }

    func run() throws {
        let bar = ProgressBar(label: "reading")
        let result = SeriesReader.read(paths: [path], decodePixels: true, progress: bar.update)
        for r in result.rejected { printError("refused: \(r.path): \(r.reason)") }
        guard let (candidates, chosen, volume) = result.largestSeries(seriesInstanceUID: series) else {
            printError("\(path): no usable series\(series.map { " with UID \($0)" } ?? "")")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if candidates > 1 {
            printError("note: \(candidates) series found; exporting the largest (\(chosen.seriesInstanceUID)); choose with --series")
        }
        try OutputFile.write(out, announce: false) { try VolumeWriter.write(volume, to: out) }
        let g = volume.geometry
        print("wrote \(out): \(g.columns)x\(g.rows)x\(g.slices) voxels, \(num(g.columnSpacing))x\(num(g.rowSpacing))x\(num(g.sliceSpacing)) mm")
        for p in chosen.problems { print("  \(p)") }
        if !result.rejected.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}
