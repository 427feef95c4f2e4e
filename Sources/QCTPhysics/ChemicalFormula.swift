/// Parses chemical formulas such as `K2HPO4` or `Ca10(PO4)6(OH)2` into atom counts.
public enum ChemicalFormula {
    public static func atoms(_ formula: String) throws(PhysicsError) -> [String: Double] {
        var chars = Array(formula)
        var i = 0
        func number() -> Double? {
            var s = ""
            while i < chars.count, chars[i].isNumber || chars[i] == "." { s.append(chars[i]); i += 1 }
            return s.isEmpty ? nil : Double(s)
        }
        func group() throws(PhysicsError) -> [String: Double] {
            var counts: [String: Double] = [:]
            while i < chars.count, chars[i] != ")" {
                if chars[i] == "(" {
                    i += 1
                    let inner = try group()
                    guard i < chars.count, chars[i] == ")" else { throw PhysicsError("unbalanced parenthesis in \(formula)") }
                    i += 1
                    let n = number() ?? 1
                    for (k, v) in inner { counts[k, default: 0] += v * n }
                } else if chars[i].isUppercase {
                    var symbol = String(chars[i])
                    i += 1
                    while i < chars.count, chars[i].isLowercase { symbol.append(chars[i]); i += 1 }
                    counts[symbol, default: 0] += number() ?? 1
                } else {
                    throw PhysicsError("unexpected '\(chars[i])' in formula \(formula)")
                }
            }
            return counts
        }
        chars = Array(formula.filter { !$0.isWhitespace })
        let result = try group()
        guard i == chars.count, !result.isEmpty else { throw PhysicsError("cannot parse formula \(formula)") }
        return result
    }
}
