/// A precision study's least significant change: LSC = factor × precision (2.77 for 95 %
/// confidence, Glüer et al. 1995; domain reference §5).
public struct LeastSignificantChange: Codable, Sendable, Equatable {
    /// The precision study it comes from, as named when it was recorded.
    public var study: String
    /// RMS-SD of the study, mg/cm³.
    public var precisionMgPerCm3: Double
    public var factor: Double
    /// factor × precision, mg/cm³.
    public var lscMgPerCm3: Double

    public init(study: String, precisionMgPerCm3: Double, factor: Double) {
        self.study = study
        self.precisionMgPerCm3 = precisionMgPerCm3
        self.factor = factor
        lscMgPerCm3 = factor * precisionMgPerCm3
    }
}

/// A change of BMD between two exams of one patient (domain reference §13): in mg/cm³ and in
/// per cent of the earlier value, and whether it exceeds the site's least significant change.
public struct FollowUp: Codable, Sendable, Equatable {
    /// Earlier and current BMD, mg/cm³.
    public var earlierMgPerCm3: Double
    public var currentMgPerCm3: Double
    /// current − earlier, mg/cm³.
    public var changeMgPerCm3: Double
    /// 100 × change / earlier; nil (with `percentMissing`) when the earlier value is not positive.
    public var changePercent: Double?
    public var percentMissing: String?
    /// The LSC it is judged against; nil when no precision study was named.
    public var lsc: LeastSignificantChange?
    /// |change| > LSC; nil without an LSC.
    public var significant: Bool?

    public init?(earlier: Double, current: Double, lsc: LeastSignificantChange?) {
        guard earlier.isFinite, current.isFinite else { return nil }
        earlierMgPerCm3 = earlier
        currentMgPerCm3 = current
        changeMgPerCm3 = current - earlier
        if earlier > 0 {
            changePercent = 100 * (current - earlier) / earlier
        } else {
            percentMissing = "the earlier BMD is not positive, so no per cent change"
        }
        self.lsc = lsc
        significant = lsc.map { abs(current - earlier) > $0.lscMgPerCm3 }
    }
}
