import ArgumentParser
import Foundation
import QCTReport
import QCTCore
import QCTDICOM
import QCTWorkflows

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the CT series found under the given files and folders.",
        discussion: """
            One row per series and one line per refused file. Every file's pixels are \
            decoded, so a file listed as read is known to be usable.
            Exit status: 0 all read; 1 some files refused; 2 nothing usable or bad arguments.
            """)

    @Argument(help: "DICOM files or folders (searched recursively).")
    var paths: [String]

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let bar = ProgressBar(label: "reading")
        let result = SeriesReader.read(paths: paths, decodePixels: true, progress: bar.update)
        let report = InspectReport(result)
        if json {
            print(try report.jsonString())
        } else {
            print(report.text())
        }
        for r in result.rejected { printError("refused: \(r.path): \(r.reason)") }
        if result.series.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !result.rejected.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}
