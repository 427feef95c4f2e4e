import Dispatch
import Foundation
import QCTCore

/// Decodes an assembled series into a `Volume`, one file per task on all cores.
public enum VolumeLoader {
    /// Decodes every frame of `series`. Fails with every file that could not
    /// be decoded (the volume is then not built).
    public static func load(_ series: Series, progress: (@Sendable () -> Void)? = nil)
        -> Result<Volume, DecodeFailures>
    {
        let g = series.geometry
        // The width the slices' Bits Stored and Pixel Representation need (16 bits for nearly every CT).
        let width = VoxelSamples.Width.holding(series.frames.map { ($0.bitsStored, $0.signed) })
        let sliceBytes = g.voxelsPerSlice * width.size
        let failures = FailureList()
        // Uninitialised: every voxel is written by exactly one decode task, so pages are first
        // touched (and faulted in) by the worker that fills them.
        let samples = VoxelSamples.make(width, count: g.voxelCount) { raw in
            let box = UnsafeSendable(raw)
            decodeFrames(of: series, failures: failures, progress: progress) { k, f, file throws(DicomReadError) in
                try file.decodeFrame(f.frameIndex, into: UnsafeMutableRawBufferPointer(rebasing: box.value[(k * sliceBytes)..<((k + 1) * sliceBytes)]), width: width)
            } cleared: { k in
                // Leave no uninitialised memory behind in a volume that fails.
                UnsafeMutableRawBufferPointer(rebasing: box.value[(k * sliceBytes)..<((k + 1) * sliceBytes)]).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        let errors = failures.all
        if !errors.isEmpty { return .failure(DecodeFailures(errors: errors)) }
        return .success(Volume(geometry: g, samples: samples, rescale: series.frames.map(\.rescale), padding: series.padding))
    }

    /// Decodes every frame of `series` straight to float32 HU (slice-major, as `Volume.huFloat32()`
    /// orders them, with the same values): each frame goes through a slice-sized buffer of its
    /// worker, so no stored-width volume is built beside the float array.
    public static func loadHUFloat32(_ series: Series) -> Result<HUFloat32, DecodeFailures> {
        let g = series.geometry
        let width = VoxelSamples.Width.holding(series.frames.map { ($0.bitsStored, $0.signed) })
        let perSlice = g.voxelsPerSlice
        let failures = FailureList()
        let scratch = ScratchSlices(bytes: perSlice * width.size)
        let hu = HUFloat32(count: g.voxelCount) { out in
            let box = SharedBuffer(out)
            decodeFrames(of: series, failures: failures, progress: nil) { k, f, file throws(DicomReadError) in
                let slice = UnsafeMutableBufferPointer(rebasing: box.buffer[(k * perSlice)..<((k + 1) * perSlice)])
                try scratch.with { raw throws(DicomReadError) in
                    try file.decodeFrame(f.frameIndex, into: raw, width: width)
                    f.rescale.float32HU(raw, width: width, into: slice)
                }
            } cleared: { k in
                UnsafeMutableBufferPointer(rebasing: box.buffer[(k * perSlice)..<((k + 1) * perSlice)]).initialize(repeating: 0)
            }
        }
        let errors = failures.all
        return errors.isEmpty ? .success(hu) : .failure(DecodeFailures(errors: errors))
    }

    /// Runs `decode(slice, frame, handle)` for every frame of `series`, one file per task on all
    /// cores. A file that fails stops its task: the failure is listed and `cleared` is called for
    /// every slice of the task, so nothing uninitialised is left behind.
    private static func decodeFrames(of series: Series, failures: FailureList, progress: (@Sendable () -> Void)?,
                                     decode: @escaping @Sendable (Int, FrameHeader, DicomFile) throws(DicomReadError) -> Void,
                                     cleared: @escaping @Sendable (Int) -> Void) {
        let tasks = UnsafeSendable(plan(series))
        DispatchQueue.concurrentPerform(iterations: tasks.value.count) { t in
            // Chunks after the first of a file get a handle of their own.
            let firstOfFile = t == 0 || tasks.value[t - 1].first?.frame.file !== tasks.value[t].first?.frame.file
            var own: DicomFile?
            for (k, f) in tasks.value[t] {
                do throws(DicomReadError) {
                    if !firstOfFile, own == nil { own = try DicomFile(path: f.file.path) }
                    try decode(k, f, own ?? f.file)
                } catch {
                    failures.append(error)
                    for (k2, _) in tasks.value[t] { cleared(k2) }
                    break
                }
            }
            progress?()
        }
    }

    /// The decode tasks: frames grouped by file (a DicomFile handle is used by one thread at a
    /// time), and a multi-frame file split into chunks, each decoded through its own handle, so an
    /// enhanced CT uses every core too.
    private static func plan(_ series: Series) -> [[(slice: Int, frame: FrameHeader)]] {
        var tasks: [[(slice: Int, frame: FrameHeader)]] = []
        var taskOf: [ObjectIdentifier: Int] = [:]
        for (k, f) in series.frames.enumerated() {
            let id = ObjectIdentifier(f.file)
            if let t = taskOf[id] { tasks[t].append((k, f)) } else {
                taskOf[id] = tasks.count
                tasks.append([(k, f)])
            }
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if tasks.count < cores {
            tasks = tasks.flatMap { task -> [[(slice: Int, frame: FrameHeader)]] in
                guard task.count >= 2 * cores else { return [task] }
                let size = (task.count + cores - 1) / cores
                return stride(from: 0, to: task.count, by: size).map { start in
                    Array(task[start..<min(start + size, task.count)])
                }
            }
        }
        return tasks
    }
}

/// Slice-sized buffers lent to decode workers, one per worker at a time and reused, so a float32
/// load touches one cache-resident buffer per core instead of a second volume.
private final class ScratchSlices: Sendable {
    private let free = Locked<[UnsafeMutableRawBufferPointer]>([])
    private let bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    deinit { for b in free.current { b.deallocate() } }

    func with(_ body: (UnsafeMutableRawBufferPointer) throws(DicomReadError) -> Void) throws(DicomReadError) {
        let buffer = free.withLock { $0.popLast() } ?? .allocate(byteCount: max(bytes, 1), alignment: 64)
        defer { free.withLock { $0.append(buffer) } }
        try body(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes]))
    }
}

/// The files of a series whose pixels could not be decoded.
public struct DecodeFailures: Error, Sendable {
    public var errors: [DicomReadError]
}

/// Decoding failures of parallel workers, sorted by path when read.
final class FailureList: Sendable {
    private let items = Locked<[DicomReadError]>([])
    func append(_ e: DicomReadError) { items.withLock { $0.append(e) } }
    var all: [DicomReadError] { items.current.sorted { $0.path < $1.path } }
}
