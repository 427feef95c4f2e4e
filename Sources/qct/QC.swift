import ArgumentParser
import Foundation
import QCTQualityControl
import QCTStorage

struct QC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qc",
        abstract: "Daily QC: record phantom scans, baselines, control rules, Levey–Jennings charts, export.",
        subcommands: [QCRecord.self, QCStatus.self, QCBaselineCommand.self, QCEventCommand.self, QCChart.self, QCExport.self])
}

/// The database option shared by every qc command.
struct DatabaseOption: ParsableArguments {
    @Option(help: "QC database (default: $XDG_DATA_HOME/qct/qc.sqlite, else ~/.local/share/qct/qc.sqlite).")
    var db: String?

    var path: String { db ?? QCDatabase.defaultPath() }

    /// Opens the database; an unusable file gets one line and exit 2, and is left untouched.
    /// `readOnly`: a missing database is refused and nothing is created (status, chart, export).
    /// A database created here is announced.
    func open(readOnly: Bool = false) throws -> QCDatabase {
        let existed = FileManager.default.fileExists(atPath: path)
        let store: QCDatabase
        do { store = try QCDatabase(path: path, readOnly: readOnly) } catch {
            printError("refused: \(error)")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if !existed { printError("created new QC database \(path)") }
        return store
    }
}

/// Runs a database call; a failure gets one line and exit 2.
func storeCall<T>(_ body: () throws(QCStoreError) -> T) throws -> T {
    do { return try body() } catch {
        printError("error: \(error)")
        throw ExitCode(ReadExit.nothingUsable)
    }
}

/// Exit status of a QC state: 0 in control (or collecting a baseline), 3 warning, 4 out of control.
func exitStatus(_ worst: String?) -> Int32 {
    switch worst {
    case "out of control": return 4
    case "warning": return 3
    default: return 0
    }
}
