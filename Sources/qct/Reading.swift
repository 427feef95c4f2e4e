import ArgumentParser
import Foundation
import QCTWorkflows

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the CT series found under the given files and folders.",
        discussion: """
            One row per series and one line per refused file, from the headers alone. With --hu-range every \
            file's pixels are decoded too (one series at a time): each series' HU range and mean are given, \
            and a file whose pixels cannot be decoded is refused.
            Exit status: 0 all read; 1 some files refused; 2 nothing usable or bad arguments.
            """)
    @Argument(help: "DICOM files or folders (searched recursively).") var paths: [String]
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Decode every file's pixels and give each series' HU minimum, maximum and mean.") var huRange = false

    func run() throws {
        let report = InspectReport.read(paths, huRange: huRange, progress: ProgressBar().update)
        print(json ? try report.jsonString() : report.text())
        for r in report.rejected { printError("refused: \(r.path): \(r.reason)") }
        if report.series.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !report.rejected.isEmpty { throw ExitCode(ReadExit.someRefused) }
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
        let written = try Console.run {
            try SeriesExport.run(path, seriesUID: series, out: out, report: Console.report, progress: ProgressBar().update)
        }
        let g = written.geometry
        print("wrote \(out): \(g.columns)x\(g.rows)x\(g.slices) voxels, \(num(g.columnSpacing))x\(num(g.rowSpacing))x\(num(g.sliceSpacing)) mm")
        for p in written.problems { print("  \(p)") }
        if !written.refused.isEmpty { throw ExitCode(ReadExit.someRefused) }
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
