/// A volume's stored values at their native width: 16 bits (signed or not) for nearly every CT,
/// 32 bits only when the data need them (Bits Stored above 16, or signed and unsigned slices that
/// no 16-bit type holds together). HU are computed from them on demand (`Volume.hu(at:)`), so a
/// volume takes the bytes its pixels were stored in, not the bytes of a float per voxel.
public final class VoxelSamples: @unchecked Sendable, Equatable {
    /// The width a series needs, from each slice's Bits Stored and Pixel Representation (PS3.3 C.7.6.3).
    public enum Width: Sendable, Hashable {
        case int16, uint16, int32

        /// The narrowest width holding every value of slices with these (Bits Stored, Pixel Representation 1) pairs.
        public static func holding(_ formats: some Sequence<(Int, Bool)>) -> Width {
            var signed = false, unsigned = false, maxSigned = 0, maxUnsigned = 0
            for (bitsStored, isSigned) in formats {
                if isSigned { signed = true; maxSigned = max(maxSigned, bitsStored) } else { unsigned = true; maxUnsigned = max(maxUnsigned, bitsStored) }
            }
            if !unsigned { return maxSigned <= 16 ? .int16 : .int32 }
            if !signed { return maxUnsigned <= 15 ? .int16 : maxUnsigned <= 16 ? .uint16 : .int32 }
            return maxSigned <= 16 && maxUnsigned <= 15 ? .int16 : .int32
        }

        /// Bytes per voxel.
        public var size: Int { self == .int32 ? 4 : 2 }

        /// Whether `v` is representable.
        public func holds(_ v: Int32) -> Bool {
            switch self {
            case .int16: return v >= Int32(Int16.min) && v <= Int32(Int16.max)
            case .uint16: return v >= 0 && v <= Int32(UInt16.max)
            case .int32: return true
            }
        }
    }

    public let width: Width
    public let count: Int
    /// The values, `count` × `width.size` bytes, written once when made and never after (so the
    /// class is a value in all but name, and safe to share between threads).
    public let base: UnsafeRawPointer

    /// Allocates `count` values of `width` and has `fill` write every byte of them.
    private init(width: Width, count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        // Volume-sized memory is reused from a volume released before when one fits (LargeBuffer).
        let buffer = LargeBuffer.allocate(byteCount: count * width.size)
        let memory = buffer.baseAddress!
        do { try fill(buffer) } catch {
            LargeBuffer.deallocate(memory)
            throw error
        }
        (self.width, self.count, self.base) = (width, count, UnsafeRawPointer(memory))
    }

    deinit { LargeBuffer.deallocate(UnsafeMutableRawPointer(mutating: base)) }

    /// Stored values of `width` for `count` voxels, filled by `fill` (given the uninitialised
    /// memory, every byte of which it must write).
    public static func make(_ width: Width, count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> VoxelSamples {
        try VoxelSamples(width: width, count: count, fill: fill)
    }

    /// `values` at the narrowest width that holds them all.
    public convenience init(narrowing values: [Int32]) {
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        let width: Width = Width.int16.holds(lo) && Width.int16.holds(hi) ? .int16
            : Width.uint16.holds(lo) && Width.uint16.holds(hi) ? .uint16 : .int32
        self.init(width: width, count: values.count) { raw in
            switch width {
            case .int16: for (i, v) in values.enumerated() { raw.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: 2 * i, as: Int16.self) }
            case .uint16: for (i, v) in values.enumerated() { raw.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: 2 * i, as: UInt16.self) }
            case .int32: for (i, v) in values.enumerated() { raw.storeBytes(of: v, toByteOffset: 4 * i, as: Int32.self) }
            }
        }
    }

    /// Bytes held.
    public var byteCount: Int { count * width.size }

    /// The bytes as stored (little-endian on every platform qct runs on).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

    /// The stored value at a linear index.
    @inline(__always)
    public subscript(_ i: Int) -> Int32 {
        precondition(i >= 0 && i < count, "voxel index out of range")
        switch width {
        case .int16: return Int32(base.load(fromByteOffset: 2 &* i, as: Int16.self))
        case .uint16: return Int32(base.load(fromByteOffset: 2 &* i, as: UInt16.self))
        case .int32: return base.load(fromByteOffset: 4 &* i, as: Int32.self)
        }
    }

    /// Every value widened to 32 bits (a copy; for tests and tools, not for analysis loops).
    public func int32() -> [Int32] { (0..<count).map { self[$0] } }

    /// Runs `visitor` over the values as a typed buffer, so a loop over them is compiled for the
    /// stored width (inlinable, so the caller's module specialises the loop for each width).
    @inlinable
    public func visit<V: VoxelSampleVisitor>(_ visitor: V) -> V.Result {
        switch width {
        case .int16: return visitor.visit(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Int16.self), count: count))
        case .uint16: return visitor.visit(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: count))
        case .int32: return visitor.visit(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Int32.self), count: count))
        }
    }

    /// Same width and the same values.
    public static func == (a: VoxelSamples, b: VoxelSamples) -> Bool {
        a.width == b.width && a.count == b.count && a.bytes.elementsEqual(b.bytes)
    }
}

/// A loop over a volume's stored values, compiled for each stored width (`VoxelSamples.visit`).
public protocol VoxelSampleVisitor {
    associatedtype Result
    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) -> Result
}
