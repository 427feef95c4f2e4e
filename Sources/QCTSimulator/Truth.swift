import QCTPhantoms
/// What the digital scanner put into a scan: `truth.json`.
public struct SimulationTruth: Codable, Sendable {
    public var schema = "qct-simulation-truth/1"
    public var analysisVersion: String
    public var scene: String
    public var seed: UInt64
    public var scanner: ScannerTruth
    public var geometry: GeometryTruth
    public var phantoms: [PhantomTruth]
    /// Every insert: true CT number and certified values.
    public var inserts: [InsertTruth]
    /// The calibration the scene's calibration phantom truly gives, if any.
    public var calibration: CalibrationTruth?
    /// ESP vertebrae: true HA density and the reading the calibration should give.
    public var vertebrae: [VertebraTruth]
    /// The set-up drawn by `--vary` (absent otherwise).
    public var variation: SceneVariation?
}

public struct ScannerTruth: Codable, Sendable {
    public var profile: String
    public var manufacturer: String
    public var model: String
    public var stationName: String
    public var deviceSerialNumber: String
    /// kV.
    public var kvp: Double
    /// keV.
    public var effectiveEnergyKeV: Double
    public var huGain: Double
    /// HU.
    public var huOffset: Double
    /// CT-number gain along z: HU × (1 + gradient · z), per mm.
    public var huGainGradientPerMM: Double
    /// This scan's CT-number variation (`--day-variation`), applied after the truth's CT numbers
    /// were computed: expected readings below do not include it.
    public var dayVariation: DayVariation?
    public var kernel: String
    /// mAs.
    public var mAs: Double
    /// HU (white noise SD after the kernel blur).
    public var noiseSDHU: Double
    /// mm.
    public var blurFWHMmm: Double
    /// Source of the attenuation coefficients.
    public var attenuationSource: String
}

public struct GeometryTruth: Codable, Sendable {
    public var rows: Int
    public var columns: Int
    /// mm.
    public var pixelSpacingMM: Double
    public var slices: Int
    /// mm.
    public var sliceThicknessMM: Double
    /// mm.
    public var sliceSpacingMM: Double
    /// Patient z of the first slice centre, mm.
    public var firstSliceZMM: Double
    /// Image Position (Patient) of the first voxel of the first slice, mm.
    public var originMM: [Double]
    /// Whole-scene pose: translation [x, y, z] mm and rotation about z, degrees.
    public var translationMM: [Double]
    public var rotationDegrees: Double
    /// Sub-samples per pixel edge at boundaries.
    public var supersampling: Int
}

public struct PhantomTruth: Codable, Sendable {
    public var id: String
    public var certificateSerial: String?
    /// Phantom origin in patient coordinates, mm; rotation about z, degrees.
    public var originMM: [Double]
    public var rotationDegrees: Double
}

public struct InsertTruth: Codable, Sendable {
    public var phantom: String
    public var name: String
    public var role: String
    /// Section centre in patient coordinates [x, y], mm.
    public var centerMM: [Double]
    /// Radius (circles) or semi-axes (ellipses), or half sizes (boxes), mm.
    public var halfExtentsMM: [Double]
    /// Patient z interval, mm.
    public var zRangeMM: [Double]
    /// Noise-free, blur-free CT number of the material on this scanner, HU.
    public var trueHU: Double
    /// Certified values, mg/cm³ (empty when none).
    public var certified: [String: Double]
    public var nominal: Double?
    public var nominalUnit: String?
    /// The material as simulated.
    public var composition: String
}

public struct CalibrationTruth: Codable, Sendable {
    /// "mindways-two-component" or "linear".
    public var method: String
    public var phantom: String
    /// Mindways: σ_ref (HU per mg/cm³), β_ref (HU), σ_CT, β_CT; linear: unused.
    public var sigmaRef: Double?
    public var betaRef: Double?
    public var sigmaCT: Double?
    public var betaCT: Double?
    /// BMD = slope · HU + intercept: mg/cm³ per HU and mg/cm³.
    public var slope: Double
    public var intercept: Double
    public var r2: Double
}

public struct VertebraTruth: Codable, Sendable {
    public var name: String
    /// Certified trabecular density, mg HA/cm³ (an ESP's vertebra).
    public var trueHA: Double?
    /// Trabecular K2HPO4-equivalent density, mg/cm³ (a simulated patient's vertebra, liquid convention).
    public var trueK2HPO4: Double?
    /// Noise-free CT number of the trabecular material, HU.
    public var trueHU: Double
    /// What the scene's calibration turns `trueHU` into, mg K2HPO4/cm³ (nil without a calibration phantom).
    public var expectedBMD: Double?
    /// With a gain gradient along z: what the calibration phantom's rods at the
    /// vertebra's middle z turn its CT number there into (equals `expectedBMD` without one).
    public var expectedBMDAtZ: Double?
}
