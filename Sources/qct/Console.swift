import ArgumentParser
import Foundation
import QCTWorkflows

/// The CLI's end of the workflows: diagnostics printed on standard error as they arise, a
/// workflow failure printed and turned into exit 2.
enum Console {
    /// Prints each diagnostic's line.
    static let report: DiagnosticSink = { printError($0.line) }

    /// Runs `body`; a `WorkflowFailure` prints its lines and exits 2.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as WorkflowFailure {
            for d in failure.diagnostics { printError(d.line) }
            throw ExitCode(ReadExit.nothingUsable)
        }
    }
}

/// Files qct writes: each announced as `wrote FILE` on standard error, each failure one line
/// (`cannot write FILE: permission denied`, `… folder DIR does not exist`) and exit 2.
enum OutputFile {
    /// Runs `write`; a failure becomes one line and exit 2.
    static func write(_ path: String, announce: Bool = true, _ write: () throws -> Void) throws {
        do { try write() } catch { try fail(WriteFailure.describe(path, error)) }
        if announce { printError("wrote \(path)") }
    }

    /// Writes `text` (UTF-8) atomically, or to standard output for "-".
    static func write(_ text: String, to path: String, announce: Bool = true) throws {
        if path == "-" { print(text, terminator: text.hasSuffix("\n") ? "" : "\n"); return }
        try write(path, announce: announce) { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
    }

    /// Writes the bytes `make` gives, atomically; a failure to make them is reported like one to write them.
    static func write(to path: String, _ make: () throws -> [UInt8]) throws {
        try write(path) { try Data(make()).write(to: URL(fileURLWithPath: path), options: .atomic) }
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar: Sendable {
    private let lastDrawn = Locked(-1)
    private let label: String
    let enabled = isatty(STDERR_FILENO) != 0

    init(label: String = "reading") { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        // Drawn under the lock, so two workers never interleave a line.
        lastDrawn.withLock { last in
            guard percent != last else { return }
            last = percent
            let filled = 30 * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
            if done >= total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// Says why nothing could be done, on standard error, and exits 2.
func fail(_ line: String) throws -> Never {
    printError(line)
    throw ExitCode(ReadExit.nothingUsable)
}

/// A result line written now, not when the buffer fills: a log under cron keeps every line even if
/// the run is killed.
func printNow(_ line: String) { print(line); fflush(nil) }

/// Now, ISO 8601 UTC.
func isoNow() -> String { ISO8601DateFormatter().string(from: Date()) }

/// Exit status of a check status: 0 pass, 3 warn, 4 fail.
func exitIfNotPassed(_ status: CalibrationCheck.Status) throws {
    if status != .pass { throw ExitCode(status == .warn ? 3 : 4) }
}

/// On SIGINT or SIGTERM: says how far the batch got on standard error and exits 130. What was
/// stored stays stored (each result is one transaction), and standard output is flushed first.
func onInterrupt(_ progress: BatchProgress) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            progress.stop {
                fflush(nil)
                FileHandle.standardError.write(Data((progress.line + "\n").utf8))
                exit(130)
            }
        }
        source.resume()
        return source
    }
}
