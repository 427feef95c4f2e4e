import Dispatch
import Foundation

/// How far an unattended batch got, for the line printed when it is interrupted.
final class BatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    /// Held while a result is stored and its line printed: an interruption waits for both.
    private let storing = NSLock()
    private var done = 0
    let total: Int
    let verb: String

    init(total: Int, verb: String) {
        self.total = total
        self.verb = verb
    }

    func step() {
        lock.lock()
        done += 1
        lock.unlock()
    }

    /// Runs `body` (storing one result and printing its line) so that an interruption comes before
    /// or after it, never inside.
    func storing<T>(_ body: () throws -> T) rethrows -> T {
        storing.lock()
        defer { storing.unlock() }
        return try body()
    }

    /// Waits for the result being stored, then keeps any other from starting.
    func stop() { storing.lock() }

    var line: String {
        lock.lock()
        defer { lock.unlock() }
        return "interrupted: \(done) of \(total) \(verb)"
    }
}

/// On SIGINT or SIGTERM: says how far the batch got on standard error and exits 130. What was
/// stored stays stored (each result is one transaction), and standard output is flushed first.
func onInterrupt(_ progress: BatchProgress) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler {
            progress.stop()
            fflush(nil)
            FileHandle.standardError.write(Data((progress.line + "\n").utf8))
            exit(130)
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
