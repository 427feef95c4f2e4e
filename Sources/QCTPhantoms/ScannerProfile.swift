/// A simulated scanner: identity, protocol and the physics of its images.
public struct ScannerProfile: Codable, Hashable, Sendable {
    public var id: String
    public var manufacturer: String
    public var model: String
    public var stationName: String
    public var deviceSerialNumber: String
    public var softwareVersions: String
    public var institutionName: String
    /// Tube voltage, kV.
    public var kvp: Double
    /// Effective energy of the beam, keV (single-energy model): sets every
    /// material's CT number through its attenuation coefficients.
    public var effectiveEnergyKeV: Double
    /// CT-number scale as calibrated on the scanner: HU = gain · HU_physical + offset.
    public var huGain: Double
    /// HU.
    public var huOffset: Double
    public var kernel: String
    /// In-plane resolution of the kernel, full width at half maximum, mm.
    public var blurFWHMmm: Double
    /// Tube current-time product, mAs.
    public var mAs: Double
    /// Image noise SD at `mAs`, HU (scales as 1/√mAs).
    public var noiseSDHU: Double
    /// Reconstruction diameter (field of view), mm.
    public var reconstructionDiameterMM: Double
    /// Table height, mm.
    public var tableHeightMM: Double
    /// Scan-to-scan variation of the CT numbers (`qct simulate --day-variation`); nil: none.
    public var repeatVariation: RepeatVariation?
}

/// The scanner profiles file.
public struct ScannerProfilesFile: Codable, Hashable, Sendable {
    /// Always "qct-scanners/1".
    public var schema: String
    public var profiles: [ScannerProfile]
}

/// How a scanner's CT numbers vary from scan to scan (domain reference §11):
/// standard deviations from which `qct simulate --day-variation` draws one
/// scan's `DayVariation`. Gain and offset move the whole image (a same-scan
/// calibration takes them out); the position-dependent terms do not move the
/// pad's rods and the vertebrae alike, and they are what a repeat study sees.
public struct RepeatVariation: Codable, Hashable, Sendable {
    /// CT-number gain on (HU + 1000), fraction (tube ageing, daily air calibration).
    public var gainSD: Double
    /// CT-number offset, HU.
    public var offsetSDHU: Double
    /// A linear field across the field of view (x and y each), HU per 100 mm: table height and centring.
    public var gradientSDHUPer100mm: Double
    /// Cupping: HU at the field-of-view edge relative to its centre (r² profile).
    public var cuppingSDHU: Double
    /// Beam hardening: contrast to water scaled by (1 + h · (1 − r²/R²)), deeper in the field more; h's SD, fraction.
    public var hardeningSD: Double
    /// Why these values.
    public var source: String
}

/// One scan's draw of a `RepeatVariation`.
public struct DayVariation: Codable, Hashable, Sendable {
    public var gain: Double
    public var offsetHU: Double
    public var gradientXHUPer100mm: Double
    public var gradientYHUPer100mm: Double
    public var cuppingHU: Double
    public var hardening: Double

    public init(gain: Double, offsetHU: Double, gradientXHUPer100mm: Double, gradientYHUPer100mm: Double, cuppingHU: Double,
                hardening: Double) {
        self.gain = gain
        self.offsetHU = offsetHU
        self.gradientXHUPer100mm = gradientXHUPer100mm
        self.gradientYHUPer100mm = gradientYHUPer100mm
        self.cuppingHU = cuppingHU
        self.hardening = hardening
    }

    /// The HU a pixel of physical CT number `hu` at (x, y) mm from the centre of a field of radius `radius` mm reads.
    /// Air (below −900 HU) is left alone, and the change fades in up to −500 HU so that edges stay smooth.
    @inline(__always)
    public func apply(_ hu: Double, x: Double, y: Double, radius: Double) -> Double {
        let w = min(1, max(0, (hu + 900) / 400))
        guard w > 0 else { return hu }
        let r2 = (x * x + y * y) / (radius * radius)
        let hardened = hu * (1 + hardening * (1 - r2))
        let varied = gain * (hardened + 1000) - 1000 + offsetHU + cuppingHU * r2
            + (gradientXHUPer100mm * x + gradientYHUPer100mm * y) / 100
        return hu + w * (varied - hu)
    }
}
