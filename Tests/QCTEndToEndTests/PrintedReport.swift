import Foundation
import XCTest

/// Reads a printed report with poppler (pdfinfo, pdftotext, pdftoppm): its paper, each page's
/// text, and whether the first page, rendered to PNG, is more than a blank sheet.
struct PrintedReport {
    var pages: Int
    /// Width and height in points.
    var size: (Double, Double)
    var pageTexts: [String]
    /// Share of non-white pixels and distinct colours of page 1 at 60 dpi.
    var nonWhite: Double
    var colours: Int

    init(_ pdf: URL) throws {
        let info = try QCTRunner.runTool("/usr/bin/pdfinfo", [pdf.path])
        XCTAssertEqual(info.status, 0, "pdfinfo: \(info.stderr) (poppler-utils is installed by make deps)")
        func field(_ name: String) -> String {
            info.stdout.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        pages = Int(field("Pages")) ?? 0
        let dims = field("Page size").split(separator: " ").compactMap { Double($0) }
        size = dims.count >= 2 ? (dims[0], dims[1]) : (0, 0)
        pageTexts = try (1...max(1, pages)).map { n in
            try QCTRunner.runTool("/usr/bin/pdftotext", ["-layout", "-f", "\(n)", "-l", "\(n)", pdf.path, "-"]).stdout
        }
        let prefix = pdf.deletingPathExtension().path + "-page"
        _ = try QCTRunner.runTool("/usr/bin/pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf.path, prefix])
        let stats = try QCTRunner.json(try QCTRunner.runTool(QCTRunner.python, [SimulateCommandTests.repo.appendingPathComponent("Scripts/png_stats.py").path,
                                                                               prefix + ".png"]).stdout)
        nonWhite = stats["nonWhiteFraction"] as? Double ?? 0
        colours = stats["colours"] as? Int ?? 0
    }

    static let a4 = (595.0, 842.0), letter = (612.0, 792.0)

    func assertPaper(_ paper: (Double, Double), file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(size.0, paper.0, accuracy: 1.5, "page width \(size.0) pt", file: file, line: line)
        XCTAssertEqual(size.1, paper.1, accuracy: 1.5, "page height \(size.1) pt", file: file, line: line)
    }

    /// Every page's text holds each of `words` (the repeated header).
    func assertEveryPageHas(_ words: [String], file: StaticString = #filePath, line: UInt = #line) {
        for (n, text) in pageTexts.enumerated() {
            let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for w in words { XCTAssertTrue(flat.contains(w), "page \(n + 1) lacks \(w): \(flat.prefix(300))", file: file, line: line) }
        }
    }
}
