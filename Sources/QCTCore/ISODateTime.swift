/// Calendar dates and times as ISO 8601 writes them (the extended format,
/// local time): `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`
/// (a space may stand for `T`). Nothing else is a date here: `25/02/2026`,
/// `next tuesday` and `2026-13-45` are refused, so a typing slip can never
/// start a baseline or stretch a chart over years.
public enum ISODateTime {
    /// What every accepted form looks like, for messages.
    public static let expected = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"

    /// The value as `YYYY-MM-DDTHH:MM:SS` (a date alone: midnight), or nil when it is not a valid ISO 8601 date.
    public static func normalised(_ text: String) -> String? {
        var s = Array(text.utf8)
        while s.first == 32 { s.removeFirst() }
        while s.last == 32 { s.removeLast() }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= s.count else { return nil }
            var v = 0
            for k in range {
                guard s[k] >= 48, s[k] <= 57 else { return nil }
                v = v * 10 + Int(s[k] - 48)
            }
            return v
        }
        guard s.count == 10 || s.count == 16 || s.count == 19,
              let year = digits(0..<4), s[4] == 45, let month = digits(5..<7), s[7] == 45, let day = digits(8..<10) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), year >= 1900 else { return nil }
        var hour = 0, minute = 0, second = 0
        if s.count > 10 {
            guard s[10] == 84 || s[10] == 32, let h = digits(11..<13), s[13] == 58, let m = digits(14..<16) else { return nil }
            hour = h
            minute = m
            if s.count == 19 {
                guard s[16] == 58, let sec = digits(17..<19) else { return nil }
                second = sec
            }
            guard hour < 24, minute < 60, second < 60 else { return nil }
        }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
