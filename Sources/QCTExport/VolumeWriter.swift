import Dispatch
import Foundation
import QCTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a volume could not be written.
public struct VolumeWriteError: Error, CustomStringConvertible {
    public var description: String

    /// The system's reason for `code`, in lower case ("no space left on device").
    static func posix(_ code: Int32) -> VolumeWriteError {
        VolumeWriteError(description: String(cString: strerror(code)).lowercased())
    }
}

/// Writes HU volumes that 3D Slicer and ITK place correctly in patient space.
///
/// The file is the header followed by the samples (`ExportSamples`), produced chunk by chunk
/// straight from the volume's stored values: raw files are written with `pwrite` by every core at
/// once, `.nii.gz` is deflated in parallel blocks (`ParallelGzip`). Everything goes to a temporary
/// file beside the target, renamed into place when complete, so an interrupted export never leaves
/// a half-written volume.
public enum VolumeWriter {
    /// Bytes produced and written per task.
    static let chunkBytes = 4 << 20

    public static func write(_ volume: Volume, to path: String) throws {
        guard let format = VolumeFormat(path: path) else {
            throw VolumeWriteError(description: "unsupported output extension (use .nrrd, .nii or .nii.gz)")
        }
        let samples = ExportSamples(volume)
        let header = format == .nrrd ? Array(NRRDHeader.text(volume.geometry, samples.type).utf8) : NIfTIHeader.bytes(volume.geometry, samples.type)
        let stream = ExportStream(header: header, samples: samples)
        try writeAtomically(to: path) { fd in
            if format == .niftiGzip {
                try ParallelGzip.write(stream, to: fd)
            } else {
                try writeRaw(stream, to: fd)
            }
        }
    }

    /// The whole stream, chunk by chunk, in order. One writer: parallel writes to one file
    /// contend on its inode lock and gain nothing; producing a chunk costs far less than copying
    /// it into the page cache.
    static func writeRaw(_ stream: ExportStream, to fd: Int32) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        var start = 0
        while start < stream.count {
            let count = min(chunkBytes, stream.count - start)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
            stream.fill(offset: start, into: chunk)
            try ParallelGzip.writeAll(fd, UnsafeRawBufferPointer(chunk))
            start += count
        }
    }

    /// Runs `body` on a new temporary file beside `path`, then renames it to `path`; on failure the
    /// temporary file is removed and `path` is untouched.
    static func writeAtomically(to path: String, _ body: (Int32) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var template = Array((dir + "/." + url.lastPathComponent + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw errno == ENOENT ? VolumeWriteError(description: "folder \(dir) does not exist") : VolumeWriteError.posix(errno) }
        let temporary = String(cString: template)
        var isOpen = true
        do {
            try body(fd)
            // The permissions an ordinary file gets (mkstemp makes it 0600).
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
            isOpen = false
            guard close(fd) == 0 else { throw VolumeWriteError.posix(errno) }
            guard rename(temporary, path) == 0 else { throw VolumeWriteError.posix(errno) }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
    }
}

/// A file's bytes: a header, then the samples, producible for any byte range.
struct ExportStream: Sendable {
    let header: [UInt8]
    let samples: ExportSamples

    var count: Int { header.count + samples.byteCount }

    /// Writes bytes `offset ..< offset + out.count` of the stream into `out`.
    func fill(offset: Int, into out: UnsafeMutableRawBufferPointer) {
        var at = offset, written = 0
        if at < header.count {
            let n = min(header.count - at, out.count)
            header.withUnsafeBytes { h in out.baseAddress!.copyMemory(from: h.baseAddress! + at, byteCount: n) }
            (at, written) = (at + n, n)
        }
        guard written < out.count else { return }
        let size = samples.type.size
        let byteStart = at - header.count, byteEnd = byteStart + (out.count - written)
        let first = byteStart / size, last = (byteEnd + size - 1) / size
        if byteStart % size == 0, byteEnd % size == 0 {
            samples.write(first..<last, to: out.baseAddress! + written)
            return
        }
        // A chunk boundary inside a sample: produce whole samples, copy the bytes asked for.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: (last - first) * size, alignment: 16)
        defer { scratch.deallocate() }
        samples.write(first..<last, to: scratch.baseAddress!)
        (out.baseAddress! + written).copyMemory(from: scratch.baseAddress! + (byteStart - first * size), byteCount: byteEnd - byteStart)
    }
}
