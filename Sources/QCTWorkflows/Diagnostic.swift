import Foundation

/// Something a workflow has to say about its input or output, as a value: the CLI prints its
/// `line`, a server logs it, a dashboard lists it.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        /// Progress and facts (`measured 3/10 …`, `created new QC database …`).
        case info
        /// A choice made for the user that they may want to change (`note: 2 CT series …`).
        case note
        /// A result was produced from incomplete or doubtful input.
        case warning
        /// An input set aside that is not what the command reads (another modality).
        case ignored
        /// An input set aside by the study (`left out: …`).
        case leftOut = "left out"
        /// An input that could not be used; the rest goes on.
        case refused
        /// The command cannot go on.
        case error
    }

    public var severity: Severity
    /// The file or folder concerned, when there is one.
    public var path: String?
    public var message: String
    /// Set on the refusal that says an input is not a phantom scan at all (no phantom recognised,
    /// or not CT): a QC node refuses such a series instead of keeping it as a failure.
    public var notAPhantomScan = false
    /// Set on the failure that says no vertebral body was found at all: a node that analyses
    /// patient exams refuses such a series like any other that holds nothing to measure.
    public var noSpine = false

    public init(_ severity: Severity, path: String? = nil, _ message: String, notAPhantomScan: Bool = false, noSpine: Bool = false) {
        self.severity = severity
        self.path = path
        self.message = message
        self.notAPhantomScan = notAPhantomScan
        self.noSpine = noSpine
    }

    /// One console line: `refused: PATH: why`, `note: …`, or for info and error just `PATH: why`.
    public var line: String {
        let prefix: String? = switch severity {
        case .info, .error: nil
        default: severity.rawValue
        }
        return [prefix, path].compactMap { $0 }.map { $0 + ": " }.joined() + message
    }

    public var description: String { line }
}

/// Where a workflow sends its diagnostics as they arise.
public typealias DiagnosticSink = @Sendable (Diagnostic) -> Void

/// A workflow that could not produce anything usable; `diagnostics` say why (not yet reported).
public struct WorkflowFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ message: String) { self.init(.error, path: nil, message) }
    public init(path: String, _ message: String) { self.init(.error, path: path, message) }
    public init(_ severity: Diagnostic.Severity, path: String? = nil, _ message: String) {
        diagnostics = [Diagnostic(severity, path: path, message)]
    }

    public var description: String { diagnostics.map(\.line).joined(separator: "\n") }
}

/// Runs blocking work (file reading, image analysis, SQLite) on a thread of its own, off the
/// cooperative pool that async callers (a server's request handlers) share.
public enum Blocking {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}
