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
