/// How a phantom's rods (or plugs) relate to one another, as tolerances
/// rather than positions: rod finding checks a candidate set against these
/// relations and never against where the template draws the rods
/// (Docs/phantoms.md, "layout").
public struct RodLayout: Codable, Hashable, Sendable {
    public enum Arrangement: String, Codable, Hashable, Sendable {
        /// Rod centres on one straight line (Mindways pads).
        case line
        /// Rod centres on a circle (CatPhan CTP404, QRM-BDC).
        case ring
        /// Rod centres anywhere within `maxSpanMM` of one another.
        case cluster
    }

    public var arrangement: Arrangement
    /// Rod diameters a real phantom of this model may have, [min, max] mm.
    public var rodDiameterMM: [Double]
    /// `line`: distance between neighbouring rod centres along the line, [min, max] mm.
    public var spacingMM: [Double]?
    /// `ring`: ring radius, [min, max] mm.
    public var ringRadiusMM: [Double]?
    /// Largest distance between any two rod centres, mm.
    public var maxSpanMM: Double
    /// How far a rod centre may lie off the line or the ring, mm.
    public var toleranceMM: Double
    /// Shortest length of a rod along z, mm (inserts shorter than the scan are found where they are).
    public var minLengthMM: Double

    public init(arrangement: Arrangement, rodDiameterMM: [Double], spacingMM: [Double]? = nil, ringRadiusMM: [Double]? = nil,
                maxSpanMM: Double, toleranceMM: Double, minLengthMM: Double) {
        self.arrangement = arrangement
        self.rodDiameterMM = rodDiameterMM
        self.spacingMM = spacingMM
        self.ringRadiusMM = ringRadiusMM
        self.maxSpanMM = maxSpanMM
        self.toleranceMM = toleranceMM
        self.minLengthMM = minLengthMM
    }

    /// Smallest and largest rod radius, mm.
    public var radiusRange: ClosedRange<Double> { (rodDiameterMM[0] / 2)...(rodDiameterMM[1] / 2) }
}

/// Plausibility bands of a calibration fit, per phantom (domain reference §3, "fit quality gates").
///
/// Units follow the method: Mindways two-component — `slope` is σ_CT in HU per
/// mg/cm³ and `intercept` β_CT in HU; linear — mg/cm³ per HU and mg/cm³;
/// CT-number plugs — measured HU per nominal HU and HU.
public struct FitBands: Codable, Hashable, Sendable {
    /// Plausible slope, [min, max]; outside fails.
    public var slope: [Double]
    /// |intercept| beyond the first value warns, beyond the second fails.
    public var intercept: [Double]
    /// Where the bands come from.
    public var source: String?

    public init(slope: [Double], intercept: [Double], source: String? = nil) {
        self.slope = slope
        self.intercept = intercept
        self.source = source
    }
}
