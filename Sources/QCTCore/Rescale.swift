/// The modality LUT of one slice: HU = stored × slope + intercept.
///
/// From Rescale Slope (0028,1053) and Rescale Intercept (0028,1052), or the
/// Pixel Value Transformation Sequence of an enhanced image. Identity when
/// the image carries neither.
public struct Rescale: Hashable, Codable, Sendable {
    /// Rescale Slope (HU per stored unit).
    public var slope: Double
    /// Rescale Intercept (HU).
    public var intercept: Double
    /// Rescale Type (0028,1054), e.g. "HU"; nil when absent.
    public var type: String?

    public init(slope: Double = 1, intercept: Double = 0, type: String? = nil) {
        self.slope = slope
        self.intercept = intercept
        self.type = type
    }

    public static let identity = Rescale()

    /// Slope and intercept as integers, when both are whole numbers of a sane size: HU are then
    /// computed exactly in integers (exports, int16 output).
    public var integerParts: (slope: Int, intercept: Int)? {
        guard slope == slope.rounded(), intercept == intercept.rounded(), abs(slope) < 1e6, abs(intercept) < 1e9 else { return nil }
        return (Int(slope), Int(intercept))
    }

    /// HU for a stored value, computed in double precision.
    @inline(__always)
    public func apply(_ stored: Int32) -> Double { Double(stored) * slope + intercept }
}

/// Stored values that mean "no data" (Pixel Padding Value (0028,0120), with
/// Pixel Padding Range Limit (0028,0121) when present). Compared in
/// stored-value space, before the modality LUT.
public struct PaddingRange: Hashable, Codable, Sendable {
    public var lower: Int32
    public var upper: Int32

    public init(_ a: Int32, _ b: Int32) {
        lower = min(a, b)
        upper = max(a, b)
    }

    @inline(__always)
    public func contains(_ v: Int32) -> Bool { v >= lower && v <= upper }
}
