import Foundation

/// DICOM DA + TM / DT strings ("20260101080000.000") as ISO 8601 local time
/// ("2026-01-01T08:00:00", no zone: DICOM times are the scanner's local time).
public enum DicomDateTime {
    /// The ISO form, or nil when the value has no full date.
    public static func iso(_ dicom: String?) -> String? {
        guard let c = components(dicom) else { return nil }
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Seconds since 1970 reading the value as UTC (for differences only).
    public static func seconds(_ value: String?) -> Double? {
        let text = value.map { $0.contains("-") ? $0.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            .replacingOccurrences(of: "T", with: "") : $0 }
        guard let c = components(text) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: c)?.timeIntervalSince1970
    }

    static func components(_ dicom: String?) -> DateComponents? {
        guard let s = dicom?.trimmingCharacters(in: .whitespaces), s.count >= 8 else { return nil }
        let digits = Array(s.prefix(14).prefix { $0.isNumber })
        guard digits.count >= 8 else { return nil }
        func part(_ a: Int, _ b: Int) -> Int? { digits.count >= b ? Int(String(digits[a..<b])) : nil }
        var c = DateComponents()
        c.year = part(0, 4); c.month = part(4, 6); c.day = part(6, 8)
        c.hour = part(8, 10) ?? 0; c.minute = part(10, 12) ?? 0; c.second = part(12, 14) ?? 0
        guard let m = c.month, (1...12).contains(m), let d = c.day, (1...31).contains(d) else { return nil }
        return c
    }
}
