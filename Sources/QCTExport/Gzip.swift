import CZlib
import Dispatch
import Foundation
import QCTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// gzip (RFC 1952) of an export stream, deflated (RFC 1951, zlib level 6, the level gzip, pigz
/// and dcm2niix use by default) in 1 MiB blocks on every core at once, as pigz does: each block
/// is compressed with the 32 KiB before it as its dictionary and ends on a sync flush (byte
/// aligned, not final) except the last, so the blocks concatenate into one deflate stream that
/// any gzip reader inflates. CRC-32s of the blocks are combined (`crc32_combine`). Blocks are
/// produced and compressed a wave at a time and written in order, so memory stays a few blocks.
enum ParallelGzip {
    static let blockBytes = 1 << 20
    static let window = 32 << 10
    static let level: Int32 = 6

    static func write(_ stream: ExportStream, to fd: Int32) throws {
        try [UInt8]([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]).withUnsafeBytes { try writeAll(fd, $0) }
        let blocks = max(1, (stream.count + blockBytes - 1) / blockBytes)
        let wave = 2 * ProcessInfo.processInfo.activeProcessorCount
        var crc = crc32(0, nil, 0)
        for first in stride(from: 0, to: blocks, by: wave) {
            let n = min(wave, blocks - first)
            let results = Locked<[Int: Compressed]>([:])
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let b = first + i
                let r = compress(stream, block: b, last: b == blocks - 1)
                results.withLock { $0[b] = r }
            }
            let done = results.current
            for b in first..<(first + n) {
                guard let r = done[b], let bytes = r.bytes else {
                    throw VolumeWriteError(description: "zlib compression failed (\(done[b]?.status ?? -1))")
                }
                try bytes.withUnsafeBytes { try writeAll(fd, $0) }
                crc = crc32_combine(crc, r.crc, off_t(r.inputCount))
            }
        }
        var trailer = [UInt8](repeating: 0, count: 8)
        for i in 0..<4 {
            trailer[i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: crc) >> (8 * i))
            trailer[4 + i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: stream.count) >> (8 * i))
        }
        try trailer.withUnsafeBytes { try writeAll(fd, $0) }
    }

    /// One block's deflate output, its input's CRC-32 and length (bytes nil on a zlib failure).
    struct Compressed: Sendable {
        var bytes: [UInt8]?
        var crc: uLong
        var inputCount: Int
        var status: Int32
    }

    static func compress(_ stream: ExportStream, block b: Int, last: Bool) -> Compressed {
        let start = b * blockBytes, end = min(stream.count, start + blockBytes)
        let dictionaryStart = max(0, start - window)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, end - dictionaryStart), alignment: 16)
        defer { input.deallocate() }
        stream.fill(offset: dictionaryStart, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<(end - dictionaryStart)]))
        let dictionary = start - dictionaryStart, count = end - start
        let source = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        var z = z_stream()
        guard deflateInit2_(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return Compressed(bytes: nil, crc: 0, inputCount: count, status: Z_STREAM_ERROR)
        }
        defer { deflateEnd(&z) }
        if dictionary > 0 { deflateSetDictionary(&z, source, uInt(dictionary)) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, uLong(count))) + 64)
        let status: Int32 = out.withUnsafeMutableBufferPointer { dst in
            z.next_in = source + dictionary
            z.avail_in = uInt(count)
            z.next_out = dst.baseAddress
            z.avail_out = uInt(dst.count)
            return deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH)
        }
        guard status == (last ? Z_STREAM_END : Z_OK), z.avail_in == 0 else {
            return Compressed(bytes: nil, crc: 0, inputCount: count, status: status)
        }
        out.removeSubrange(Int(z.total_out)...)
        return Compressed(bytes: out, crc: crc32(0, source + dictionary, uInt(count)), inputCount: count, status: status)
    }

    /// Writes all of `bytes` at the file's position.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) throws {
        do {
            var done = 0
            while done < raw.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                #else
                let n = Darwin.write(fd, raw.baseAddress! + done, raw.count - done)
                #endif
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw VolumeWriteError.posix(n == 0 ? EIO : errno) }
                done += n
            }
        }
    }
}
