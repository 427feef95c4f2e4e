import Foundation
import QCTCore

/// Left-aligned columns separated by two spaces.
public func table(_ rows: [[String]]) -> [String] {
    guard let n = rows.first?.count else { return [] }
    var widths = [Int](repeating: 0, count: n)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        r.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

/// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
public func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// Pretty, key-sorted JSON of any report.
public func jsonString<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
