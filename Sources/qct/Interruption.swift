import Dispatch
import Foundation
import QCTCore

/// How far an unattended batch got, for the line printed when it is interrupted.
final class BatchProgress: Sendable {
    private let done = Locked(0)
    /// Held while a result is stored and its line printed: an interruption waits for both.
    private let storing = Locked(())
    let total: Int
    let verb: String

    init(total: Int, verb: String) {
        self.total = total
        self.verb = verb
    }

    func step() { done.withLock { $0 += 1 } }

    /// Runs `body` (storing one result and printing its line) so that an interruption comes before
    /// or after it, never inside.
    func storing<T>(_ body: () throws -> T) rethrows -> T {
        try storing.withLock { _ in try body() }
    }

    /// Waits for the result being stored, then runs `end` (which exits) before any other can start.
    func stop(_ end: () -> Never) { storing.withLock { _ in end() } }

    var line: String { "interrupted: \(done.current) of \(total) \(verb)" }
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

/// A result line written now, not when the buffer fills: a log under cron keeps every line even if
/// the run is killed.
func printNow(_ line: String) {
    print(line)
    fflush(nil)
}
