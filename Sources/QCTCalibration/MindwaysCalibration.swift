import QCTStatistics

/// The Mindways two-component calibration (QCT Pro User Guide v5.0 as quoted
/// in public code; domain reference §3).
///
/// 1. Least squares across the rods: HUᵢ − ρ_water,ᵢ = σ_ref · ρ_K2HPO4,ᵢ + β_ref.
/// 2. Liquid-K2HPO4 convention: σ_CT = σ_ref − 0.2174, β_CT = β_ref + 999.6.
/// 3. BMD = (HU − β_CT) / σ_CT, mg K2HPO4/cm³.
public struct MindwaysCalibration: Hashable, Codable, Sendable {
    /// Water displaced per unit mass of dissolved K2HPO4 (dimensionless).
    public static let waterDisplacement = 0.2174
    /// Density of mineral-free water, mg/cm³.
    public static let mineralFreeWater = 999.6

    /// One rod: certified K2HPO4 and water equivalents (mg/cm³) and its measured HU.
    public struct Rod: Hashable, Codable, Sendable {
        public var name: String
        public var k2hpo4: Double
        public var water: Double
        public var hu: Double
        public init(name: String, k2hpo4: Double, water: Double, hu: Double) {
            self.name = name
            self.k2hpo4 = k2hpo4
            self.water = water
            self.hu = hu
        }
    }

    /// The fit in (HU − water) space; residuals are in HU.
    public var fit: LinearFit
    /// σ_ref, HU per mg/cm³.
    public var sigmaRef: Double { fit.slope }
    /// β_ref, HU.
    public var betaRef: Double { fit.intercept }
    /// σ_CT = σ_ref − 0.2174, HU per mg/cm³.
    public var sigmaCT: Double { sigmaRef - Self.waterDisplacement }
    /// β_CT = β_ref + 999.6, HU.
    public var betaCT: Double { betaRef + Self.mineralFreeWater }
    /// BMD per HU (1/σ_CT), mg/cm³ per HU.
    public var slope: Double { 1 / sigmaCT }
    /// BMD at 0 HU (−β_CT/σ_CT), mg/cm³.
    public var intercept: Double { -betaCT / sigmaCT }

    /// Fits at least two rods with distinct K2HPO4 values.
    public init?(rods: [Rod]) {
        guard let f = LinearFit(x: rods.map(\.k2hpo4), y: rods.map { $0.hu - $0.water }) else { return nil }
        fit = f
    }

    /// K2HPO4-equivalent density of an ROI, mg/cm³.
    public func bmd(hu: Double) -> Double { (hu - betaCT) / sigmaCT }
}
