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

extension Rescale {
    /// Float32 HU of one slice's stored values (`raw`, `out.count` values of `width`): exact for
    /// integer HU, and the same float the double path (`apply`) rounds to in every case.
    public func float32HU(_ raw: UnsafeMutableRawBufferPointer, width: VoxelSamples.Width, into out: UnsafeMutableBufferPointer<Float>) {
        switch width {
        case .int16: float32HU(UnsafeBufferPointer(raw.bindMemory(to: Int16.self)), into: out)
        case .uint16: float32HU(UnsafeBufferPointer(raw.bindMemory(to: UInt16.self)), into: out)
        case .int32: float32HU(UnsafeBufferPointer(raw.bindMemory(to: Int32.self)), into: out)
        }
    }

    /// Float32 HU of `stored` into `out` (same count).
    @inline(__always)
    public func float32HU<T: FixedWidthInteger>(_ stored: UnsafeBufferPointer<T>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(stored.count >= out.count, "one stored value per HU")
        if let (slope, intercept) = integerParts, slope == 1, abs(intercept) < 1 << 30 {
            // Slope 1 and a whole intercept (nearly every CT): the HU is an integer, added in
            // 32 bits and rounded once to float32, as the double path rounds the same integer.
            let b = Int32(intercept)
            for i in 0..<out.count { out[i] = Float(Int32(stored[i]) &+ b) }
        } else {
            // Computed in double and rounded once to float32.
            for i in 0..<out.count { out[i] = Float(apply(Int32(stored[i]))) }
        }
    }
}
