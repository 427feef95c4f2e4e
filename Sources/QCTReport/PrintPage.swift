import Foundation

/// How an HTML report prints: the paper, and a header repeated on every page (institution,
/// scanners, dates). Chromium repeats a table's `thead` on each printed page, so the page is
/// one table whose head is the header; on screen the head is hidden.
public struct PrintPage: Sendable, Equatable {
    public enum Paper: String, Sendable, CaseIterable {
        case a4 = "A4", letter
        /// The CSS `@page size` keyword.
        var css: String { self == .a4 ? "A4" : "letter" }
    }

    public var paper: Paper
    public var institution: String
    public var scanners: [String]
    /// The dates the report covers, e.g. `2026-01-01 … 2026-03-01`.
    public var dates: String
    public var generated: String

    public init(paper: Paper = .a4, institution: String?, scanners: [String], dates: String, generated: String) {
        self.paper = paper
        let name = institution?.trimmingCharacters(in: .whitespaces) ?? ""
        self.institution = name.isEmpty ? "institution not recorded" : name
        self.scanners = scanners
        self.dates = dates
        self.generated = generated
    }

    /// The header line printed at the top of every page.
    public var headerLine: String {
        "\(institution) · scanner\(scanners.count == 1 ? "" : "s") \(scanners.isEmpty ? "—" : scanners.joined(separator: ", ")) · \(dates) · printed \(generated)"
    }

    /// Style rules: paper size and margins, the repeated header, and no table or chart split across pages.
    public var css: String {
        """
        @page{size:\(paper.css);margin:12mm 12mm 14mm 12mm}
        table.print-page{width:100%;border:none;margin:0} table.print-page>thead>tr>td,table.print-page>tbody>tr>td{border:none;padding:0;text-align:left}
        table.print-page>thead>tr>td{font-size:10px;color:#444;border-bottom:1px solid #999;padding-bottom:4px}
        @media screen{table.print-page>thead{display:none}}
        @media print{body{margin:0;max-width:none} table,svg{break-inside:avoid} h2{break-after:avoid}}
        """
    }

    /// Opens the page table: the repeated header, then the cell that holds the report (closed by `close`).
    public var open: String {
        "<table class=\"print-page\"><thead><tr><td class=\"print-header\">\(escapeXML(headerLine))</td></tr></thead><tbody><tr><td>\n"
    }

    public static let close = "</td></tr></tbody></table>\n"

    /// `body` inside the page table, under the repeated header.
    public func wrap(_ body: String) -> String { open + body + PrintPage.close }
}
