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
/// The file is the header followed by the samples, produced a batch of slices at a time (every core
/// on its own slices) and written in order: raw straight to the file, `.nii.gz` deflated in parallel
/// blocks (`ParallelGzip`). Everything goes to a temporary file beside the target, renamed into
/// place when complete, so an interrupted export never leaves a half-written volume.
public enum VolumeWriter {
    /// Bytes of samples produced per batch (raw files).
    static let batchBytes = 8 << 20

    /// Writes `volume`'s HU, in the narrowest exact type (`ExportSamples`).
    public static func write(_ volume: Volume, to path: String) throws {
        try write(ExportSamples(volume), to: path)
    }

    /// Writes `samples` as the format `path`'s extension names.
    public static func write(_ samples: some SliceSamples, to path: String) throws {
        guard let format = VolumeFormat(path: path) else {
            throw VolumeWriteError(description: "unsupported output extension (use .nrrd, .nii or .nii.gz)")
        }
        let header = format == .nrrd ? Array(NRRDHeader.text(samples.geometry, samples.type).utf8) : NIfTIHeader.bytes(samples.geometry, samples.type)
        try writeAtomically(to: path) { fd in
            if format == .niftiGzip {
                try ParallelGzip.write(header: header, samples: samples, to: fd)
            } else {
                try writeRaw(header: header, samples: samples, to: fd)
            }
        }
    }

    /// The header, then the samples a batch at a time: while one batch is written (a thread of its
    /// own), the next is produced, into two buffers used in turn.
    static func writeRaw(header: [UInt8], samples: some SliceSamples, to fd: Int32) throws {
        try header.withUnsafeBytes { try writeAll(fd, $0) }
        let slices = samples.geometry.slices, per = max(1, batchBytes / max(1, samples.sliceBytes))
        let size = per * samples.sliceBytes
        let buffers = [UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64),
                       UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)]
        let writer = DispatchQueue(label: "qct.export.writer")
        let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
        let failure = Locked<Error?>(nil)
        defer {
            writer.sync {}
            buffers.forEach { $0.deallocate() }
        }
        var b = 0
        for first in stride(from: 0, to: slices, by: per) {
            free[b].wait()
            if let e = failure.current { throw e }
            let range = first..<min(slices, first + per)
            do { try samples.write(slices: range, to: buffers[b].baseAddress!) } catch {
                free[b].signal()
                throw error
            }
            let chunk = SharedConstBuffer(UnsafeBufferPointer(start: buffers[b].baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                              count: range.count * samples.sliceBytes))
            let done = free[b]
            writer.async {
                if failure.current == nil {
                    do { try writeAll(fd, UnsafeRawBufferPointer(chunk.buffer)) } catch { failure.withLock { $0 = $0 ?? error } }
                }
                done.signal()
            }
            b = 1 - b
        }
        writer.sync {}
        if let e = failure.current { throw e }
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

/// Writes all of `raw` at the file's position (a short write is continued, an interrupted one retried).
func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) throws {
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
