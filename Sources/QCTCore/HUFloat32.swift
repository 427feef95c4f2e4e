#if canImport(Glibc)
import Glibc
#endif

/// A whole volume's HU as float32, slice-major (`Volume.huFloat32()`,
/// `VolumeLoader.loadHUFloat32`), held in a `LargeBuffer` so that a process loading series after
/// series reuses the memory of the last one instead of faulting in a fresh array each time.
public final class HUFloat32: @unchecked Sendable, RandomAccessCollection, Equatable {
    public let count: Int
    /// Written once by the maker's fill and never after, so shared reads are safe.
    private let base: UnsafeMutablePointer<Float>

    /// `count` values, every one of which `fill` must write.
    public init(count: Int, fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let raw = LargeBuffer.allocate(byteCount: count * MemoryLayout<Float>.stride)
        let typed = raw.baseAddress!.bindMemory(to: Float.self, capacity: count)
        do { try fill(UnsafeMutableBufferPointer(start: typed, count: count)) } catch {
            LargeBuffer.deallocate(raw.baseAddress!)
            throw error
        }
        (self.count, self.base) = (count, typed)
    }

    deinit { LargeBuffer.deallocate(UnsafeMutableRawPointer(base)) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(_ i: Int) -> Float {
        precondition(i >= 0 && i < count, "voxel index out of range")
        return base[i]
    }

    /// The values as one buffer (valid during `body` only).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The same values, bit for bit.
    public static func == (a: HUFloat32, b: HUFloat32) -> Bool {
        a.count == b.count && memcmp(a.base, b.base, a.count * MemoryLayout<Float>.stride) == 0
    }
}
