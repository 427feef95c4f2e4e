/// The trabecular ROI of one vertebra: an ellipse in the image plane over a
/// mid-vertebral slab (domain reference §4), enough to reproduce the reading.
public struct VertebraROI: Codable, Hashable, Sendable {
    /// Ellipse centre at the slab's middle, patient mm [x, y, z].
    public var centerMM: [Double]
    /// Semi-axes, mm (major, minor).
    public var semiAxesMM: [Double]
    /// Major-axis angle from the image row direction (columns increasing), degrees.
    public var angleDegrees: Double
    /// The vertebral body's semi-axes (shell included) the ROI was scaled from, mm.
    public var bodySemiAxesMM: [Double]
    /// Patient z of the first and last slice measured, mm.
    public var slabMM: [Double]
    /// Height of the body's flat (trabecular, endplate-free) profile, mm.
    public var bodyHeightMM: Double
}

/// One vertebra of a spine phantom: what was measured and its BMD, or why not.
public struct VertebraReading: Codable, Hashable, Sendable {
    public var name: String
    /// Certified (or nominal) trabecular density, mg HA/cm³.
    public var nominal: Double
    /// K2HPO4-equivalent BMD of the ROI mean, mg/cm³; nil when not measured.
    public var bmd: Double?
    public var meanHU: Double?
    public var medianHU: Double?
    /// Sample SD (n − 1), HU.
    public var sdHU: Double?
    public var voxels: Int
    /// First and last slice measured (0-based, volume order); empty when not measured.
    public var sliceRange: [Int]
    public var roi: VertebraROI?
    /// The calibration line applied: BMD = slope · HU + intercept (mg/cm³ per HU, mg/cm³);
    /// with calibration along z, the one at the ROI's z.
    public var calibrationSlope: Double?
    public var calibrationIntercept: Double?
    /// Why there is no reading ("not in the scan", "cut off at the scan edge …").
    public var missing: String?
}
