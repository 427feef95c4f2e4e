import Foundation
import NIOCore
import PostgresNIO

/// No answer from the server within the time a statement is given, or none that can still come
/// (its connection closed with the statement unanswered): the connection is closed (the server
/// rolls back what it was doing) and the store treats it as lost.
struct StatementTimedOut: Error, CustomStringConvertible {
    var seconds: Double
    var connectionClosed = false
    var description: String {
        connectionClosed ? "the connection closed with a statement unanswered"
            : "no answer from the server in \(Int(seconds)) s; the connection was closed"
    }
}

extension EventLoopFuture {
    /// Blocks for the future's value, at most `seconds`. Past that, or once `abandoned` has held at
    /// two checks in a row (every 0.1 s: an answer that can no longer come), `onTimeout` runs (on
    /// the future's event loop) and then the wait fails with `StatementTimedOut`. postgres-nio
    /// writes a query to its channel without a promise, so a query sent just as the server closed
    /// the connection is never answered nor failed; a node must not hang with it.
    func wait(atMost seconds: Double, abandoned: (@Sendable () -> Bool)? = nil,
              onTimeout: @escaping @Sendable () -> Void) throws -> Value where Value: Sendable {
        let loop = eventLoop
        let promise = loop.makePromise(of: Value.self)
        let settled = Settled()
        whenComplete { result in
            if settled.first() { promise.completeWith(result) }
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        let seenAbandoned = Settled()
        let check = loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { task in
            let gone = abandoned?() == true
            // The first sighting only arms it: the connection's own failing of its queries runs on
            // this loop too, and gets one more turn.
            let given = gone && !seenAbandoned.first()
            guard given || NIODeadline.now() >= deadline else { return }
            task.cancel()
            guard settled.first() else { return }
            // The clean-up first, so that the waiter returns after it has run.
            onTimeout()
            promise.fail(StatementTimedOut(seconds: seconds, connectionClosed: given))
        }
        defer { check.cancel() }
        return try promise.futureResult.wait()
    }
}

/// Whichever of the answer and the timer comes first settles the wait; the other is ignored.
private final class Settled: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    /// True for the first caller only.
    func first() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if done { return false }
        done = true
        return true
    }
}

extension PostgresConnection {
    /// How long one statement may go unanswered before its connection is taken for lost. Every
    /// statement qct sends is small; this is far beyond any of them on a live server.
    static let statementTimeout = 30.0

    /// Closes the connection, waiting at most 5 s for it to finish closing.
    func closeBounded() {
        _ = try? close().wait(atMost: 5) {}
    }
}
