import ArgumentParser
import Foundation
import QCTWorkflows

/// Files qct writes: each announced as `wrote FILE` on standard error, each failure one line
/// (`cannot write FILE: permission denied`, `… folder DIR does not exist`) and exit 2.
enum OutputFile {
    /// Runs `write`; a failure becomes one line and exit 2.
    static func write(_ path: String, announce: Bool = true, _ write: () throws -> Void) throws {
        do { try write() } catch {
            printError(WriteFailure.describe(path, error))
            throw ExitCode(ReadExit.nothingUsable)
        }
        if announce { printError("wrote \(path)") }
    }

    /// Writes `text` (UTF-8) atomically.
    static func write(_ text: String, to path: String, announce: Bool = true) throws {
        try write(path, announce: announce) { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
    }
}
