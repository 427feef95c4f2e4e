import Foundation
import QCTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar: Sendable {
    private let lastDrawn = Locked(-1)
    private let label: String
    let enabled: Bool

    init(label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        // Drawn under the lock, so two workers never interleave a line.
        lastDrawn.withLock { last in
            guard percent != last else { return }
            last = percent
            draw(done, total, percent)
        }
    }

    private func draw(_ done: Int, _ total: Int, _ percent: Int) {
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
        if done >= total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
