import ArgumentParser
import Foundation
import QCTWorkflows

@main
struct QCT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qct",
        abstract: "QCT phantom calibration and quality control.",
        version: QCTVersion.string,
        subcommands: [Inspect.self, Export.self, Phantoms.self, Simulate.self, Calibrate.self, Measure.self, Precision.self, Compare.self, Spine.self, QC.self, Serve.self]
    )

    /// Parses and runs; bad arguments exit 2 (not ArgumentParser's 64), as documented for every reading command.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success || error is ExitCode { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            Foundation.exit(ReadExit.nothingUsable)
        }
    }
}

/// Exit statuses shared by the reading commands: every file read; some refused, the rest used;
/// nothing usable, or bad arguments.
enum ReadExit {
    static let allRead: Int32 = 0, someRefused: Int32 = 1, nothingUsable: Int32 = 2
}
