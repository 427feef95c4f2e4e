import Foundation

/// Where a history store gets "now" (when a result, event or baseline is recorded): the system
/// clock, or a fixed or stepping one in tests.
public struct QCClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = QCClock { Date() }

    /// Now in ISO 8601 (UTC, whole seconds), as stored.
    public func iso() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: now())
    }
}
