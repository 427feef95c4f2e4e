import ArgumentParser
import Foundation
import QCTCore

@main
enum Main {
    /// Parses and runs; bad arguments exit 2 (not ArgumentParser's 64), as
    /// documented for every reading command.
    static func main() {
        do {
            var command = try QCT.parseAsRoot()
            try command.run()
        } catch {
            let code = QCT.exitCode(for: error)
            if code == .success || error is ExitCode {
                QCT.exit(withError: error)
            }
            let message = QCT.fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            exit(ReadExit.nothingUsable)
        }
    }
}

struct QCT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qct",
        abstract: "QCT phantom calibration and quality control.",
        version: QCTVersion.string,
        subcommands: [Inspect.self, Export.self, Phantoms.self, Simulate.self, Calibrate.self, Measure.self, Precision.self, Compare.self, QC.self]
    )
}

/// Exit statuses shared by the reading commands.
enum ReadExit {
    /// Every file was read.
    static let allRead: Int32 = 0
    /// Some files were refused; the rest was used.
    static let someRefused: Int32 = 1
    /// Nothing usable, or bad arguments.
    static let nothingUsable: Int32 = 2
}
