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
}

/// The scanner profiles file.
public struct ScannerProfilesFile: Codable, Hashable, Sendable {
    /// Always "qct-scanners/1".
    public var schema: String
    public var profiles: [ScannerProfile]
}
