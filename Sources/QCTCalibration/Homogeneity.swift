/// Whether a trabecular ROI holds trabecular bone only.
///
/// Cortical voxels (several hundred HU above trabecular bone) in an ROI
/// inflate its SD far above the SD of its bulk (robust SD: 1.4826 × MAD,
/// which a few percent of outliers barely move) and pull its mean away from
/// its median. Either shows that the ROI touches the shell or a posterior
/// element, and the vertebra's reading is not trabecular (domain reference §4;
/// Docs/measurement.md).
public struct Homogeneity: Codable, Hashable, Sendable {
    /// Robust SD of the ROI voxels (1.4826 × median absolute deviation), HU.
    public var robustSDHU: Double
    /// Mean minus median, HU.
    public var meanMinusMedianHU: Double
    /// The limits applied, HU.
    public var maxSDHU: Double
    public var maxGapHU: Double
    public var pass: Bool
    /// Why it failed; nil when it passed.
    public var reason: String?

    /// `values` sorted ascending, `stats` their statistics.
    static func judge(values: [Double], stats: ROIStatistics, settings: VertebraSearchSettings) -> Homogeneity {
        var deviations = values.map { abs($0 - stats.median) }
        deviations.sort()
        let mad = deviations.isEmpty ? 0 : deviations[deviations.count / 2]
        let robust = 1.4826 * mad
        let gap = stats.mean - stats.median
        let maxSD = settings.maxSDRatio * robust + settings.sdMarginHU
        let maxGap = max(settings.maxMeanMedianGapHU, settings.maxMeanMedianGapNoise * robust)
        var reasons: [String] = []
        if stats.sd > maxSD {
            reasons.append(String(format: "SD %.1f HU exceeds %.1f HU (robust SD %.1f HU): the ROI touches cortex", stats.sd, maxSD, robust))
        }
        if abs(gap) > maxGap {
            reasons.append(String(format: "mean − median %.1f HU exceeds ±%.1f HU: the ROI touches cortex", gap, maxGap))
        }
        return Homogeneity(robustSDHU: robust, meanMinusMedianHU: gap, maxSDHU: maxSD, maxGapHU: maxGap, pass: reasons.isEmpty,
                           reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "))
    }
}
