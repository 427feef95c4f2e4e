#if canImport(Glibc)
import Glibc
#endif

/// Memory advice for volume-sized buffers.
public enum LargeBuffer {
    /// Asks the kernel for transparent huge pages over the 2 MiB-aligned part of
    /// `buffer` (Linux, THP in `madvise` mode): a 300-slice volume then takes a
    /// few hundred page faults instead of ~80 000. Advice only; failures are ignored.
    public static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress, buffer.count >= 4 << 20 else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, 14 /* MADV_HUGEPAGE */)
        #endif
    }
}
