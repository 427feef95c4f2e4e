import CZlib
import Dispatch
import Foundation
import QCTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip (RFC 1952) of a volume file, deflated (RFC 1951, zlib level 6, the level gzip, pigz and
/// dcm2niix use by default) in 1 MiB blocks on every core at once, as pigz does: each block is
/// compressed with the 32 KiB before it as its dictionary and ends on a sync flush (byte aligned,
/// not final) except the last, so the blocks concatenate into one deflate stream that any gzip
/// reader inflates. CRC-32s of the blocks are combined (`crc32_combine`). The input (header, then
/// samples) is produced a batch of whole slices at a time, with the last 32 KiB of the batch before
/// kept for the dictionary, and each batch's blocks are written in order.
enum ParallelGzip {
    static let blockBytes = 1 << 20
    static let window = 32 << 10
    static let level: Int32 = 6

    static func write(header: [UInt8], samples: some SliceSamples, to fd: Int32) throws {
        try [UInt8]([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]).withUnsafeBytes { try writeAll(fd, $0) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let slices = samples.geometry.slices, sliceBytes = max(1, samples.sliceBytes)
        let per = max(1, 8 * cores * blockBytes / sliceBytes)
        let capacity = window + header.count + per * sliceBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var crc = crc32(0, nil, 0), total = 0, tail = 0
        var first = 0
        repeat {
            // [tail of the previous batch][header, first batch only][slices]
            var at = tail
            if first == 0 {
                header.withUnsafeBytes { buffer.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: header.count) }
                at += header.count
            }
            let range = first..<min(slices, first + per)
            try samples.write(slices: range, to: buffer.baseAddress! + at)
            let end = at + range.count * sliceBytes
            let last = range.upperBound >= slices
            let starts = Array(stride(from: tail, to: end, by: blockBytes))
            var results = [Compressed?](repeating: nil, count: starts.count)
            results.withUnsafeMutableBufferPointer { out in
                let box = SharedBuffer(out)
                let input = SharedConstBuffer(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: buffer.count))
                DispatchQueue.concurrentPerform(iterations: starts.count) { i in
                    let start = starts[i], stop = min(end, start + blockBytes)
                    box.buffer[i] = compress(input.buffer, dictionaryFrom: max(0, start - window), start: start, end: stop,
                                            final: last && i == starts.count - 1)
                }
            }
            for r in results {
                guard let r, let bytes = r.bytes else { throw VolumeWriteError(description: "zlib compression failed") }
                try bytes.withUnsafeBytes { try writeAll(fd, $0) }
                crc = crc32_combine(crc, r.crc, off_t(r.inputCount))
                total += r.inputCount
            }
            // Keep the last 32 KiB as the next batch's dictionary.
            tail = min(window, end)
            (buffer.baseAddress!).copyMemory(from: buffer.baseAddress! + (end - tail), byteCount: tail)
            first = range.upperBound
        } while first < slices
        var trailer = [UInt8](repeating: 0, count: 8)
        for i in 0..<4 {
            trailer[i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: crc) >> (8 * i))
            trailer[4 + i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: total) >> (8 * i))
        }
        try trailer.withUnsafeBytes { try writeAll(fd, $0) }
    }

    /// One block's deflate output, its input's CRC-32 and length (bytes nil on a zlib failure).
    struct Compressed: Sendable {
        var bytes: [UInt8]?
        var crc: uLong
        var inputCount: Int
    }

    /// Deflates `input[start..<end]` with `input[dictionary..<start]` as the preset dictionary.
    static func compress(_ input: UnsafeBufferPointer<UInt8>, dictionaryFrom dictionary: Int, start: Int, end: Int, final: Bool) -> Compressed {
        let count = end - start
        let source = UnsafeMutablePointer(mutating: input.baseAddress!)
        var z = z_stream()
        guard deflateInit2_(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return Compressed(bytes: nil, crc: 0, inputCount: count)
        }
        defer { deflateEnd(&z) }
        if start > dictionary { deflateSetDictionary(&z, source + dictionary, uInt(start - dictionary)) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, uLong(count))) + 64)
        let status: Int32 = out.withUnsafeMutableBufferPointer { dst in
            z.next_in = source + start
            z.avail_in = uInt(count)
            z.next_out = dst.baseAddress
            z.avail_out = uInt(dst.count)
            return deflate(&z, final ? Z_FINISH : Z_SYNC_FLUSH)
        }
        guard status == (final ? Z_STREAM_END : Z_OK), z.avail_in == 0 else { return Compressed(bytes: nil, crc: 0, inputCount: count) }
        out.removeSubrange(Int(z.total_out)...)
        return Compressed(bytes: out, crc: crc32(0, source + start, uInt(count)), inputCount: count)
    }
}
