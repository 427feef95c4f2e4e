import Foundation

/// Where the tests find the repository, its phantom folder, the fixture cache and its Python.
public enum TestRepository {
    /// The repository root (this file is Tests/QCTTestSupport/TestRepository.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Phantoms/: definitions, certificates, scanner profiles, scenes, the QC policy.
    public static var phantoms: URL { root.appendingPathComponent("Phantoms") }

    /// The fixture cache `make fixtures` fills (QCT_FIXTURES, else .fixtures in the repository).
    public static var fixtures: URL {
        if let env = ProcessInfo.processInfo.environment["QCT_FIXTURES"] { return URL(fileURLWithPath: env) }
        return root.appendingPathComponent(".fixtures")
    }

    /// The fixture venv's Python (pydicom, numpy, Pillow, …).
    public static var python: String { fixtures.appendingPathComponent("venv/bin/python").path }

    /// A new empty folder under the system's temporary folder.
    public static func temporaryDirectory(_ prefix: String = "qct-test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A small deterministic generator for randomised set-ups (LCG, Knuth's MMIX constants).
public struct TestRandom: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * next() }
}
