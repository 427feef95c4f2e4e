import ArgumentParser
import Foundation
import QCTWorkflows

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the CT series found under the given files and folders.",
        discussion: """
            One row per series and one line per refused file. Every file's pixels are \
            decoded, so a file listed as read is known to be usable.
            Exit status: 0 all read; 1 some files refused; 2 nothing usable or bad arguments.
            """)
    @Argument(help: "DICOM files or folders (searched recursively).") var paths: [String]
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let result = SeriesReader.read(paths: paths, decodePixels: true, progress: ProgressBar().update)
        let report = InspectReport(result)
        print(json ? try report.jsonString() : report.text())
        for r in result.rejected { printError("refused: \(r.path): \(r.reason)") }
        if result.series.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !result.rejected.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a series as an HU volume (.nrrd, .nii or .nii.gz) in patient space.",
        discussion: "Exit status: 0 written from all files; 1 written, some files refused; 2 nothing written.")
    @Argument(help: "DICOM files or folder holding the series.") var path: String
    @Option(help: "Output file: .nrrd, .nii or .nii.gz.") var out: String
    @Option(help: "Series Instance UID to export when the path holds several series.") var series: String?

    func validate() throws {
        guard VolumeFormat(path: out) != nil else { throw ValidationError("--out must end in .nrrd, .nii or .nii.gz: \(out)") }
    }

    func run() throws {
        let result = SeriesReader.read(paths: [path], decodePixels: true, progress: ProgressBar().update)
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

struct Phantoms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List phantom models and certificates.",
        discussion: "Exit status: 0 all files valid; 1 some files refused (each named with its field); 2 none found.")
    @OptionGroup var phantomOptions: PhantomOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let catalog = try phantomOptions.load()
        print(json ? try jsonString(CatalogListing(catalog)) : CatalogListing.text(catalog))
        if catalog.phantoms.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !catalog.errors.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}
