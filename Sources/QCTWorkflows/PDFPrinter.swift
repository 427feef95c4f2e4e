import Foundation

/// Prints an HTML page to PDF through headless Chromium (`--print-to-pdf`), the page size and
/// the repeated header coming from the page's own print style (`PrintPage`).
public struct PDFPrinter: Sendable {
    /// Why a PDF could not be made, in one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The browser: `QCT_CHROMIUM` if set, else the first of chromium, chromium-browser,
    /// google-chrome, google-chrome-stable on PATH.
    public var browser: String?
    public var timeout: TimeInterval

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, timeout: TimeInterval = 120) {
        self.timeout = timeout
        if let chosen = environment["QCT_CHROMIUM"], !chosen.isEmpty {
            browser = chosen
            return
        }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        browser = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].lazy.flatMap { name in
            folders.map { ($0 as NSString).appendingPathComponent(name) }
        }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes `html` as a PDF to `path`, replacing it only when the new PDF is complete.
    public func print(html: String, to path: String) throws {
        guard let browser else {
            throw Failure(description: "a PDF is printed by Chromium, which was not found on PATH (install chromium, or set QCT_CHROMIUM)")
        }
        guard FileManager.default.isExecutableFile(atPath: browser) else { throw Failure(description: "QCT_CHROMIUM \(browser) is not an executable") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qct-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("report.html"), pdf = work.appendingPathComponent("report.pdf")
        try Data(html.utf8).write(to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--hide-scrollbars",
                             "--user-data-dir=\(work.appendingPathComponent("profile").path)", "--print-to-pdf=\(pdf.path)", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { throw Failure(description: "cannot start \(browser): \(error.localizedDescription)") }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = done.wait(timeout: .now() + 5)
            throw Failure(description: "\(browser) did not finish printing within \(Int(timeout)) s")
        }
        guard let data = FileBytes.read(atPath: pdf.path), data.starts(with: Array("%PDF-".utf8)) else {
            throw Failure(description: "\(browser) wrote no PDF (exit status \(process.terminationStatus))")
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
