#if canImport(Glibc)
import Glibc
#endif

/// Volume-sized buffers: mapped 2 MiB-aligned with transparent huge pages, and kept for the next
/// volume of about the same size when released, so a process that loads series after series (a QC
/// node, `qc record`, a precision study) writes into pages it already has instead of faulting in
/// (and having the kernel zero) a fresh volume every time.
///
/// A released buffer is marked `MADV_FREE`: the kernel may take its pages back whenever memory is
/// short (the next use then faults in zeroed pages, as a fresh mapping would), and otherwise
/// leaves them in place. Buffers below `pooledMinimum` come from malloc as usual.
public enum LargeBuffer {
    /// Smaller buffers are left to malloc.
    public static let pooledMinimum = 8 << 20
    /// How many released buffers are kept, and how many bytes in all at most.
    static let keptBuffers = 2
    static let keptBytes = 2 << 30
    static let hugePage = 2 << 20

    /// `byteCount` bytes, uninitialised (every byte must be written before it is read), aligned to
    /// at least 64 bytes. Release with `deallocate`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawBufferPointer {
        guard byteCount >= pooledMinimum else { return mallocBuffer(byteCount) }
        #if os(Linux)
        if let base = pool.take(byteCount) { return UnsafeMutableRawBufferPointer(start: base, count: byteCount) }
        let length = (byteCount + hugePage - 1) & ~(hugePage - 1)
        guard let base = map(length) else { return mallocBuffer(byteCount) }
        pool.register(base, length: length)
        return UnsafeMutableRawBufferPointer(start: base, count: byteCount)
        #else
        return mallocBuffer(byteCount)
        #endif
    }

    /// Releases a buffer from `allocate`: a mapped one is kept for reuse (up to `keptBuffers`,
    /// `keptBytes` in all; the oldest beyond that are unmapped), a malloc'd one is freed.
    public static func deallocate(_ base: UnsafeMutableRawPointer) {
        #if os(Linux)
        if pool.release(base) { return }
        #endif
        base.deallocate()
    }

    /// Unmaps every kept buffer (the pages go back to the kernel at once).
    public static func trim() {
        #if os(Linux)
        pool.trim()
        #endif
    }

    /// Bytes held in kept (released, reusable) buffers.
    public static var keptByteCount: Int {
        #if os(Linux)
        return pool.keptByteCount
        #else
        return 0
        #endif
    }

    /// Asks the kernel for transparent huge pages over the 2 MiB-aligned part of
    /// `buffer` (Linux, THP in `madvise` mode): a 300-slice volume then takes a
    /// few hundred page faults instead of ~80 000. Advice only; failures are ignored.
    public static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress, buffer.count >= 4 << 20 else { return }
        let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(hugePage - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, 14 /* MADV_HUGEPAGE */)
        #endif
    }

    private static func mallocBuffer(_ byteCount: Int) -> UnsafeMutableRawBufferPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, byteCount), alignment: 64)
        adviseHugePages(UnsafeMutableRawBufferPointer(start: p, count: byteCount))
        return UnsafeMutableRawBufferPointer(start: p, count: byteCount)
    }

    #if os(Linux)
    private static let pool = Pool()

    /// `length` bytes (a multiple of 2 MiB) of private anonymous memory at a 2 MiB boundary,
    /// advised for huge pages; nil when the kernel refuses.
    private static func map(_ length: Int) -> UnsafeMutableRawPointer? {
        let span = length + hugePage
        guard let raw = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else { return nil }
        let start = (Int(bitPattern: raw) + hugePage - 1) & ~(hugePage - 1)
        let head = start - Int(bitPattern: raw)
        if head > 0 { munmap(raw, head) }
        let tail = span - head - length
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + length), tail) }
        let base = UnsafeMutableRawPointer(bitPattern: start)!
        _ = madvise(base, length, 14 /* MADV_HUGEPAGE */)
        return base
    }

    /// One mapping: its address and length in bytes.
    private struct Region: Sendable {
        var address: Int
        var length: Int
        var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: address)! }
    }

    /// The mapped buffers: the length of every one in use or kept, and the kept ones, most
    /// recently released last.
    private struct PoolState {
        var lengths: [Int: Int] = [:]
        var kept: [Region] = []

        /// Forgets `regions` (to be unmapped by the caller, outside the lock).
        mutating func drop(_ regions: [Region]) { for r in regions { lengths[r.address] = nil } }
    }

    private final class Pool: Sendable {
        private let state = Locked(PoolState())

        func register(_ base: UnsafeMutableRawPointer, length: Int) {
            state.withLock { $0.lengths[Int(bitPattern: base)] = length }
        }

        /// A kept buffer holding `byteCount` without wasting more than a quarter of it; when none
        /// fits, every kept buffer is unmapped, so that a new mapping is never made beside memory
        /// held for nothing.
        func take(_ byteCount: Int) -> UnsafeMutableRawPointer? {
            var reused: Region?
            var unmapped: [Region] = []
            state.withLock { s in
                let slack = byteCount / 4 + LargeBuffer.hugePage
                let fits = s.kept.indices.filter { s.kept[$0].length >= byteCount && s.kept[$0].length - byteCount <= slack }
                if let best = fits.min(by: { s.kept[$0].length < s.kept[$1].length }) {
                    reused = s.kept.remove(at: best)
                } else {
                    unmapped = s.kept
                    s.kept.removeAll()
                    s.drop(unmapped)
                }
            }
            for r in unmapped { munmap(r.pointer, r.length) }
            return reused?.pointer
        }

        /// Keeps a mapped buffer for reuse; false when `base` is not one of the pool's mappings.
        func release(_ base: UnsafeMutableRawPointer) -> Bool {
            guard let length = state.withLock({ $0.lengths[Int(bitPattern: base)] }) else { return false }
            // The pages stay until the kernel needs them; reused before that, they are neither
            // faulted in nor zeroed again.
            _ = madvise(base, length, 8 /* MADV_FREE */)
            let evicted: [Region] = state.withLock { s in
                s.kept.append(Region(address: Int(bitPattern: base), length: length))
                var out: [Region] = []
                while s.kept.count > LargeBuffer.keptBuffers || s.kept.reduce(0, { $0 + $1.length }) > LargeBuffer.keptBytes {
                    out.append(s.kept.removeFirst())
                }
                s.drop(out)
                return out
            }
            for r in evicted { munmap(r.pointer, r.length) }
            return true
        }

        func trim() {
            let all: [Region] = state.withLock { s in
                let all = s.kept
                s.kept.removeAll()
                s.drop(all)
                return all
            }
            for r in all { munmap(r.pointer, r.length) }
        }

        var keptByteCount: Int { state.withLock { $0.kept.reduce(0) { $0 + $1.length } } }
    }
    #endif
}
