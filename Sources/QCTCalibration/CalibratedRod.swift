import QCTCore

/// One rod in a calibration: HU statistics of its ROI (a circle inset from
/// the rod edge, on the rod's fitted centre line, over its measured slices,
/// padding excluded), its certified or nominal values, and its residual.
public struct CalibratedRod: Codable, Hashable, Sendable {
    public var name: String
    /// Certified values (mg/cm³) or nominal (HU for CT-number plugs); empty until identified.
    public var nominal: [String: Double] = [:]
    /// ROI centre at the middle measured slice, patient mm [x, y, z].
    public var centerMM: [Double]
    /// ROI radius, mm.
    public var roiRadiusMM: Double
    /// Mean, median and SD of the ROI, HU; NaN when the ROI holds no voxel (a rod placed from the
    /// template outside the image), written as null in JSON and "—" in text (`voxels` says why).
    public var meanHU: Double
    public var medianHU: Double
    /// Sample SD (n − 1), HU.
    public var sdHU: Double
    public var voxels: Int
    /// First and last slice measured (0-based, volume order).
    public var sliceRange: [Int]
    /// "detected", "template" (not seen; placed from the template) or "manual".
    public var located: RodLocation
    /// How the rod was identified (which certified values are its).
    public var identifiedBy: String?
    /// Residual of the fit in its own space (HU − water for Mindways, HU for linear), HU.
    public var residualHU: Double?
    /// Mean HU of the ROI in each measured slice (for calibration along z; not serialised).
    public var sliceMeanHU: [Double] = []

    enum CodingKeys: String, CodingKey {
        case name, nominal, centerMM, roiRadiusMM, meanHU, medianHU, sdHU, voxels, sliceRange, located, identifiedBy, residualHU
    }

    public init(name: String, nominal: [String: Double] = [:], centerMM: [Double], roiRadiusMM: Double, meanHU: Double,
                medianHU: Double, sdHU: Double, voxels: Int, sliceRange: [Int], located: RodLocation,
                identifiedBy: String? = nil, residualHU: Double? = nil, sliceMeanHU: [Double] = []) {
        self.name = name
        self.nominal = nominal
        self.centerMM = centerMM
        self.roiRadiusMM = roiRadiusMM
        self.meanHU = meanHU
        self.medianHU = medianHU
        self.sdHU = sdHU
        self.voxels = voxels
        self.sliceRange = sliceRange
        self.located = located
        self.identifiedBy = identifiedBy
        self.residualHU = residualHU
        self.sliceMeanHU = sliceMeanHU
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        nominal = try c.decodeIfPresent([String: Double].self, forKey: .nominal) ?? [:]
        centerMM = try c.decode([Double].self, forKey: .centerMM)
        roiRadiusMM = try c.decode(Double.self, forKey: .roiRadiusMM)
        meanHU = try c.decodeIfPresent(Double.self, forKey: .meanHU) ?? .nan
        medianHU = try c.decodeIfPresent(Double.self, forKey: .medianHU) ?? .nan
        sdHU = try c.decodeIfPresent(Double.self, forKey: .sdHU) ?? .nan
        voxels = try c.decode(Int.self, forKey: .voxels)
        sliceRange = try c.decode([Int].self, forKey: .sliceRange)
        located = try c.decode(RodLocation.self, forKey: .located)
        identifiedBy = try c.decodeIfPresent(String.self, forKey: .identifiedBy)
        residualHU = try c.decodeIfPresent(Double.self, forKey: .residualHU)
    }

    /// Statistics of an empty ROI are null, never NaN.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        try c.encode(name, forKey: .name)
        try c.encode(nominal, forKey: .nominal)
        try c.encode(centerMM, forKey: .centerMM)
        try c.encode(roiRadiusMM, forKey: .roiRadiusMM)
        try c.encode(finite(meanHU), forKey: .meanHU)
        try c.encode(finite(medianHU), forKey: .medianHU)
        try c.encode(finite(sdHU), forKey: .sdHU)
        try c.encode(voxels, forKey: .voxels)
        try c.encode(sliceRange, forKey: .sliceRange)
        try c.encode(located, forKey: .located)
        try c.encodeIfPresent(identifiedBy, forKey: .identifiedBy)
        try c.encodeIfPresent(finite(residualHU), forKey: .residualHU)
    }

    static func measure(_ v: Volume, rod: LocatedRod, roiRadius: Double, located: RodLocation) -> CalibratedRod {
        let g = v.geometry
        var values: [Double] = []
        var sliceMeans: [Double] = []
        for k in rod.slices {
            let before = values.count
            defer {
                let part = values[before...]
                sliceMeans.append(part.isEmpty ? .nan : part.reduce(0, +) / Double(part.count))
            }
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            let (x, y) = rod.center(z: z)
            let ci = (x - g.origin.x) / g.columnSpacing, cj = (y - g.origin.y) / g.rowSpacing
            let ri = roiRadius / g.columnSpacing, rj = roiRadius / g.rowSpacing
            for j in Int((cj - rj).rounded(.down))...Int((cj + rj).rounded(.up)) where j >= 0 && j < g.rows {
                for i in Int((ci - ri).rounded(.down))...Int((ci + ri).rounded(.up)) where i >= 0 && i < g.columns {
                    let dx = (Double(i) - ci) * g.columnSpacing, dy = (Double(j) - cj) * g.rowSpacing
                    guard dx * dx + dy * dy <= roiRadius * roiRadius else { continue }
                    let index = (k * g.rows + j) * g.columns + i
                    if v.isPadding(at: index) { continue }
                    values.append(v.hu(at: index))
                }
            }
        }
        let mid = Double(rod.slices.lowerBound + rod.slices.upperBound) / 2
        let zMid = g.position(column: 0, row: 0, slice: mid).z
        let (cx, cy) = rod.center(z: zMid)
        let s = ROIStatistics(&values)
        return CalibratedRod(name: rod.templateName, centerMM: [cx, cy, zMid], roiRadiusMM: roiRadius,
                              meanHU: s.mean, medianHU: s.median, sdHU: s.sd, voxels: s.count,
                              sliceRange: [rod.slices.lowerBound, rod.slices.upperBound], located: located,
                              sliceMeanHU: sliceMeans)
    }
}

/// How a rod's ROI was placed.
public enum RodLocation: String, Codable, Hashable, Sendable {
    /// Found in the image by what it is (shape, HU, relations).
    case detected
    /// Not seen: placed where the phantom's layout puts it, relative to the rods that were.
    case template
    /// Given by the user (`--rois`).
    case manual
}
