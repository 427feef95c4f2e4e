import CLibdeflate
import Dispatch
import Foundation
import QCTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip (RFC 1952) of a volume file, deflated (RFC 1951) by libdeflate at level 6 (the level gzip,
/// pigz and dcm2niix use by default, zlib's default too) in 1 MiB blocks on every core at once.
/// Each block is a gzip member of its own with its own CRC-32 (a multi-member file, RFC 1952 §2.2,
/// as bgzip writes): every gzip reader (zlib's gzread, gzip, Python's gzip, Java's
/// GZIPInputStream) reads the members one after another as one file. libdeflate compresses a whole
/// buffer at once, about twice as fast as zlib at the same level, and cannot chain blocks through a
/// dictionary; independent 1 MiB blocks cost about 0.03 % in size (zlib, on the bench series).
/// The input (header, then samples) is produced a batch of whole slices at a time, and each
/// batch's members are written in order.
enum ParallelGzip {
    static let blockBytes = 1 << 20
    static let level: Int32 = 6

    static func write(header: [UInt8], samples: some SliceSamples, to fd: Int32) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let slices = samples.geometry.slices, sliceBytes = max(1, samples.sliceBytes)
        let per = max(1, 8 * cores * blockBytes / sliceBytes)
        let capacity = header.count + per * sliceBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        let compressors = CompressorPool(level: level)
        defer { compressors.release() }
        var first = 0
        repeat {
            // [header, first batch only][slices]
            var at = 0
            if first == 0 {
                header.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
                at = header.count
            }
            let range = first..<min(slices, first + per)
            try samples.write(slices: range, to: buffer.baseAddress! + at)
            let end = at + range.count * sliceBytes
            let starts = Array(stride(from: 0, to: end, by: blockBytes))
            var results = [[UInt8]?](repeating: nil, count: starts.count)
            results.withUnsafeMutableBufferPointer { out in
                let box = SharedBuffer(out)
                let input = SharedConstBuffer(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: buffer.count))
                DispatchQueue.concurrentPerform(iterations: starts.count) { i in
                    let start = starts[i], stop = min(end, start + blockBytes)
                    box.buffer[i] = compressors.member(UnsafeBufferPointer(rebasing: input.buffer[start..<stop]))
                }
            }
            for r in results {
                guard let bytes = r else { throw VolumeWriteError(description: "deflate (libdeflate) failed") }
                try bytes.withUnsafeBytes { try writeAll(fd, $0) }
            }
            first = range.upperBound
        } while first < slices
    }
}

/// libdeflate compressors for the workers, each used by one thread at a time and kept for the next
/// block instead of allocated (with its match-finder tables) for every block.
final class CompressorPool: @unchecked Sendable {
    private let level: Int32
    private let idle = Locked<[OpaquePointer]>([])

    init(level: Int32) { self.level = level }

    /// `input` as one gzip member, or nil when libdeflate fails (out of memory).
    func member(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let c = idle.withLock({ $0.popLast() }) ?? libdeflate_alloc_compressor(level) else { return nil }
        defer { idle.withLock { $0.append(c) } }
        let bound = libdeflate_gzip_compress_bound(c, input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { libdeflate_gzip_compress(c, input.baseAddress, input.count, $0.baseAddress, bound) }
        guard n > 0 else { return nil }
        out.removeSubrange(n...)
        return out
    }

    /// Frees every compressor; called once all blocks are done.
    func release() { idle.withLock { for c in $0 { libdeflate_free_compressor(c) }; $0.removeAll() } }
}
