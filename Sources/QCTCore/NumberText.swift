import Foundation

/// Number for tables: up to 3 decimals, no trailing zeros.
public func num(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e12 { return String(Int(v)) }
    var s = String(format: "%.3f", v)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}
