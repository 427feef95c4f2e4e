import QCTCore
import QCTPhantoms

/// A QC check: pass, warn or fail, with the reason in numbers.
public struct CalibrationCheck: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable, Comparable {
        case pass, warn, fail
        var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }
    public var name: String
    public var status: Status
    public var detail: String

    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// The fitted calibration. Mindways fields are nil for linear fits.
public struct CalibrationFit: Codable, Hashable, Sendable {
    /// BMD = slope · HU + intercept: mg/cm³ per HU and mg/cm³.
    public var slope: Double
    public var intercept: Double
    public var sigmaRef: Double?
    public var betaRef: Double?
    public var sigmaCT: Double?
    public var betaCT: Double?
    public var r2: Double
    /// Standard error of the estimate, in the fit's y units.
    public var see: Double
    public var slopeStandardError: Double
    public var interceptStandardError: Double

    /// BMD of an HU value, mg/cm³.
    public func bmd(hu: Double) -> Double { slope * hu + intercept }
}

/// Everything `qct calibrate` found and decided.
public struct CalibrationResult: Codable, Sendable {
    public var schemaVersion = 1
    public var analysisVersion = QCTVersion.string
    public var phantom: String
    /// Certificate serial and source.
    public var certificate: String?
    /// mindways-two-component, linear, or none (CT-number plugs only).
    public var method: PhantomDefinition.CalibrationMethod
    /// "detected" or "manual (FILE)".
    public var rois: String
    /// How rods were matched to certified values.
    public var identity: String
    public var rods: [CalibratedRod]
    public var fit: CalibrationFit?
    /// Per-slab fits along z (when asked for).
    public var alongZ: [SliceCalibration]?
    /// First and last slice holding the rods used (0-based; the module found, in a series of several).
    public var slices: [Int]?
    /// Why no phantom was found (then `rods` is empty and `fit` null).
    public var notFound: String?
    public var checks: [CalibrationCheck]
    public var status: CalibrationCheck.Status
}
