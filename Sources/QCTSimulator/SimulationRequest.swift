import QCTPhantoms

/// Everything `qct simulate` can set. Unset values come from the scanner profile.
public struct SimulationRequest: Sendable {
    public var scene: String
    public var seed: UInt64 = 1
    public var profile: ScannerProfile
    /// Certificate serial per phantom id (default: the first certificate found).
    public var serials: [String: String] = [:]
    /// Matrix size (rows = columns).
    public var matrix = 512
    /// Pixel spacing, mm; nil: reconstruction diameter / matrix.
    public var pixelSpacingMM: Double?
    public var slices = 120
    /// Nominal slice thickness, mm (slab averaged over this width).
    public var sliceThicknessMM = 1.0
    /// Distance between slice centres, mm.
    public var sliceSpacingMM = 1.0
    /// Centre of the slice stack, mm (patient z).
    public var zCenterMM = 0.0
    /// Whole-scene translation [x, y, z], mm, and rotation about z, degrees.
    public var translationMM = [0.0, 0.0, 0.0]
    public var rotationDegrees = 0.0
    /// Noise SD, HU; nil: the profile's, scaled by √(profile mAs / mAs).
    public var noiseSDHU: Double?
    /// In-plane blur FWHM, mm; nil: the profile's.
    public var blurFWHMmm: Double?
    /// Sub-samples per pixel edge where a pixel straddles a boundary (partial volume).
    public var supersampling = 4
    /// CT-number gain along z: HU × (1 + gradient · z), per mm of patient z (0: none).
    public var gainGradientPerMM = 0.0
    /// This scan's draw of the profile's scan-to-scan variation (nil: none).
    public var dayVariation: DayVariation?
    /// Extra factor on the CT number of named inserts (a rod whose response drifts), by insert name.
    public var insertScale: [String: Double] = [:]
    /// Draw the set-up from the seed (`SceneVariation`): rod radius, spacing, order, body size,
    /// per-phantom rotation, a couch, a patient on a lone pad, and an offset up to the field-of-view edge.
    public var vary = false
    /// Acquisition date and time (DICOM DA and TM).
    public var acquisitionDate = "20260101"
    public var acquisitionTime = "080000"
    /// Series number and a label for Series Description.
    public var seriesNumber = 1
    /// Patient ID and name written (nil: "PHANTOM" and "QCT^Phantom" for phantoms, "SIM-<seed>" and
    /// "SIMULATED^PATIENT" for a patient scene).
    public var patientID: String?
    /// A simulated patient's trabecular density per vertebra, mg K2HPO4/cm³ (over the anatomy's or the drawn ones).
    public var trabecularK2HPO4: [String: Double] = [:]
    public var patientName: String?

    public init(scene: String, profile: ScannerProfile) {
        self.scene = scene
        self.profile = profile
    }

    /// Pixel spacing actually used, mm.
    public var pixelSpacing: Double { pixelSpacingMM ?? profile.reconstructionDiameterMM / Double(matrix) }
    /// Noise SD actually used, HU (`qct simulate --mas` scales the profile's by √(profile mAs / mAs)).
    public var noiseSD: Double { noiseSDHU ?? profile.noiseSDHU }
    /// Blur actually used, mm.
    public var blur: Double { blurFWHMmm ?? profile.blurFWHMmm }
}
