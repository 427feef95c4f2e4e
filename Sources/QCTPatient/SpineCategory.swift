import QCTPhantoms

/// The ACR category of a spine trabecular BMD (ACR 2008/2013, ISCD 2007; domain reference §8):
/// normal above 120 mg/cm³, low BMD from 80 to 120 with both ends included, osteoporosis below 80.
/// Spine QCT has no T-score: QCT T-scores are not equivalent to DXA's, so the WHO T-score
/// criteria do not apply (ISCD), and qct reports none.
public enum SpineCategory: String, Codable, Sendable, CaseIterable {
    case normal
    case lowBMD = "low BMD"
    case osteoporosis

    /// The category of `bmd` (mg/cm³) under the policy's thresholds; nil for a value that is not finite.
    public static func of(_ bmd: Double, _ thresholds: PatientPolicy.Categories) -> SpineCategory? {
        guard bmd.isFinite else { return nil }
        if bmd > thresholds.normalAbove { return .normal }
        if bmd < thresholds.osteoporosisBelow { return .osteoporosis }
        return .lowBMD
    }

    /// The category's range, for a report: "> 120 mg/cm³", "80–120 mg/cm³", "< 80 mg/cm³".
    public func range(_ thresholds: PatientPolicy.Categories) -> String {
        switch self {
        case .normal: return "> \(PatientNumber.text(thresholds.normalAbove)) mg/cm³"
        case .lowBMD: return "\(PatientNumber.text(thresholds.osteoporosisBelow))–\(PatientNumber.text(thresholds.normalAbove)) mg/cm³"
        case .osteoporosis: return "< \(PatientNumber.text(thresholds.osteoporosisBelow)) mg/cm³"
        }
    }

    /// The sentence every spine report carries about T-scores.
    public static let noTScore = "Spine QCT gives no T-score: QCT T-scores are not equivalent to DXA T-scores, so the WHO T-score criteria do not apply (ISCD); the ACR categories above are used instead."
}

/// Short numbers for report text.
enum PatientNumber {
    static func text(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }
}
