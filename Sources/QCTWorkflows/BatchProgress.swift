import QCTCore

/// How far a batch of recordings got, and a gate that lets a front end stop it only between
/// results: a CLI on SIGINT, a server shutting down. Storing a result and announcing it happen
/// inside `storing`; `stop` waits for the one in flight and runs before another can start.
public final class BatchProgress: Sendable {
    private let done = Locked(0)
    private let gate = Locked(())
    public let total: Int, verb: String

    public init(total: Int, verb: String) { (self.total, self.verb) = (total, verb) }

    /// One more result done.
    public func step() { done.withLock { $0 += 1 } }

    /// Runs `body` (storing one result and announcing it) so that a stop comes before or after it, never inside.
    public func storing<T>(_ body: () throws -> T) rethrows -> T { try gate.withLock { _ in try body() } }

    /// Waits for the result being stored, then runs `end` (which exits) before any other can start.
    public func stop(_ end: () -> Never) { gate.withLock { _ in end() } }

    /// Results done so far.
    public var count: Int { done.current }

    /// "interrupted: 3 of 10 recorded".
    public var line: String { "interrupted: \(done.current) of \(total) \(verb)" }
}
