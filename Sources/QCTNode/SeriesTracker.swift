import Foundation

/// Series being received: when each got its first and last file, how many, from whom. A series
/// is due for analysis once no file has come for `stableAfter` seconds (a scanner sends a series
/// as one burst; a pause means it is done).
final class SeriesTracker: @unchecked Sendable {
    struct Entry: Sendable {
        var first: Date
        var last: Date
        var files: Int
        var source: String
        /// Not before this time (a store that failed is retried later).
        var notBefore: Date?
        var attempts = 0
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func touch(_ folder: String, source: String, at now: Date = Date()) {
        lock.withLock {
            if var e = entries[folder] {
                e.last = now
                e.files += 1
                entries[folder] = e
            } else {
                entries[folder] = Entry(first: now, last: now, files: 1, source: source)
            }
        }
    }

    /// A series found on disk at start: its files' times stand for when they arrived.
    func recover(_ folder: String, files: Int, first: Date, last: Date) {
        lock.withLock { entries[folder] = Entry(first: first, last: last, files: files, source: "received before a restart") }
    }

    /// Series with no new file for `stableAfter` seconds, oldest first; they leave the tracker.
    func takeDue(stableAfter: Double, now: Date = Date()) -> [(folder: String, entry: Entry)] {
        lock.withLock {
            let due = entries.filter { now.timeIntervalSince($0.value.last) >= stableAfter && ($0.value.notBefore ?? .distantPast) <= now }
                .sorted { $0.value.last < $1.value.last }
            for (folder, _) in due { entries[folder] = nil }
            return due.map { ($0.key, $0.value) }
        }
    }

    /// Puts a series back for another attempt after `delay` seconds (doubling each time, at most 5 minutes).
    func retry(_ folder: String, _ entry: Entry, now: Date = Date()) {
        var e = entry
        e.attempts += 1
        e.notBefore = now.addingTimeInterval(min(300, pow(2, Double(e.attempts))))
        lock.withLock {
            if let newer = entries[folder] {
                e.last = max(e.last, newer.last)
                e.files += newer.files
            }
            entries[folder] = e
        }
    }

    var count: Int { lock.withLock { entries.count } }
}
