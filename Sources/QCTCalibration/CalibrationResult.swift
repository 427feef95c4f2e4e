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
    /// The value the check judged, in `unit`, where it judged one number.
    public var measured: Double?
    /// The limit it was held to (the pass limit; for a band, the bound on the value's side).
    public var limit: Double?
    public var unit: String?

    public init(name: String, status: Status, detail: String, measured: Double? = nil, limit: Double? = nil, unit: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        // No NaN or infinity reaches an output: an unknown value is left out.
        self.measured = measured.flatMap { $0.isFinite ? $0 : nil }
        self.limit = limit.flatMap { $0.isFinite ? $0 : nil }
        self.unit = unit
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
