/// The trabecular ROI of one vertebra: the body's interior eroded from the
/// inner shell surface (a mask), read over a mid-vertebral slab (domain
/// reference §4), with what is needed to reproduce and draw it.
public struct VertebraROI: Codable, Hashable, Sendable {
    /// "mask": the eroded interior, the same in every slice of the slab (shifted along a tilted column).
    public var kind: String
    /// Centroid of the mask at the slab's middle, patient mm [x, y, z].
    public var centerMM: [Double]
    /// Semi-axes of the ellipse with the mask's second moments, mm (major, minor) — for drawing.
    public var semiAxesMM: [Double]
    /// That ellipse's major-axis angle from the image row direction (columns increasing), degrees.
    public var angleDegrees: Double
    /// Area of the mask in one slice, mm², and its pixels per slice.
    public var areaMM2: Double
    public var pixelsPerSlice: Int
    /// Distance kept from the inner shell surface, mm.
    public var erosionMM: Double
    /// Semi-axes of the vertebral body found (shell included, posterior elements excluded), mm.
    public var bodySemiAxesMM: [Double]
    /// Patient z of the first and last slice measured, mm.
    public var slabMM: [Double]
    /// Height of the body's flat (trabecular, endplate-free) profile, mm.
    public var bodyHeightMM: Double
    /// Tilt of the column here, in the x–z and y–z planes, degrees.
    public var tiltDegrees: [Double]

    public init(kind: String, centerMM: [Double], semiAxesMM: [Double], angleDegrees: Double, areaMM2: Double, pixelsPerSlice: Int,
                erosionMM: Double, bodySemiAxesMM: [Double], slabMM: [Double], bodyHeightMM: Double, tiltDegrees: [Double]) {
        self.kind = kind
        self.centerMM = centerMM
        self.semiAxesMM = semiAxesMM
        self.angleDegrees = angleDegrees
        self.areaMM2 = areaMM2
        self.pixelsPerSlice = pixelsPerSlice
        self.erosionMM = erosionMM
        self.bodySemiAxesMM = bodySemiAxesMM
        self.slabMM = slabMM
        self.bodyHeightMM = bodyHeightMM
        self.tiltDegrees = tiltDegrees
    }

    /// Measurements saved by earlier versions hold an ellipse ROI: it reads as `kind` "ellipse"
    /// with its own area, no erosion and no tilt recorded.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        centerMM = try c.decode([Double].self, forKey: .centerMM)
        semiAxesMM = try c.decode([Double].self, forKey: .semiAxesMM)
        angleDegrees = try c.decode(Double.self, forKey: .angleDegrees)
        bodySemiAxesMM = try c.decode([Double].self, forKey: .bodySemiAxesMM)
        slabMM = try c.decode([Double].self, forKey: .slabMM)
        bodyHeightMM = try c.decode(Double.self, forKey: .bodyHeightMM)
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? "ellipse"
        let ellipse = semiAxesMM.count == 2 ? Double.pi * semiAxesMM[0] * semiAxesMM[1] : 0
        areaMM2 = try c.decodeIfPresent(Double.self, forKey: .areaMM2) ?? ellipse
        pixelsPerSlice = try c.decodeIfPresent(Int.self, forKey: .pixelsPerSlice) ?? 0
        erosionMM = try c.decodeIfPresent(Double.self, forKey: .erosionMM) ?? 0
        tiltDegrees = try c.decodeIfPresent([Double].self, forKey: .tiltDegrees) ?? [0, 0]
    }
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
    /// Voxels read (ROI pixels × slices).
    public var voxels: Int
    /// First and last slice measured (0-based, volume order); empty when not measured.
    public var sliceRange: [Int]
    public var roi: VertebraROI?
    /// Whether the ROI holds trabecular bone only (no cortex).
    public var homogeneity: Homogeneity?
    /// The calibration line applied: BMD = slope · HU + intercept (mg/cm³ per HU, mg/cm³);
    /// with calibration along z, the one at the ROI's z.
    public var calibrationSlope: Double?
    public var calibrationIntercept: Double?
    /// Why there is no reading ("not in the scan", "cut off at the scan edge …").
    public var missing: String?
}
