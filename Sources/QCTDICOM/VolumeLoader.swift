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
        let perSlice = g.voxelsPerSlice
        // The width the slices' Bits Stored and Pixel Representation need (16 bits for nearly every CT).
        let width = VoxelSamples.Width.holding(series.frames.map { ($0.bitsStored, $0.signed) })
        let sliceBytes = perSlice * width.size
        // Frames grouped by file: a DicomFile handle is used by one thread at a time.
        var tasks: [[(slice: Int, frame: FrameHeader)]] = []
        var taskOf: [ObjectIdentifier: Int] = [:]
        for (k, f) in series.frames.enumerated() {
            let id = ObjectIdentifier(f.file)
            if let t = taskOf[id] { tasks[t].append((k, f)) } else {
                taskOf[id] = tasks.count
                tasks.append([(k, f)])
            }
        }
        // A multi-frame file is split into chunks, each decoded through its own
        // handle, so an enhanced CT uses every core too.
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
        let failures = FailureList()
        // Uninitialised: every voxel is written by exactly one decode task, so pages are first
        // touched (and faulted in) by the worker that fills them.
        let samples = VoxelSamples.make(width, count: g.voxelCount) { raw in
            let box = UnsafeSendable(raw)
            let taskBox = UnsafeSendable(tasks)
            DispatchQueue.concurrentPerform(iterations: tasks.count) { t in
                // Chunks after the first of a file get a handle of their own.
                let firstOfFile = t == 0 || taskBox.value[t - 1].first?.frame.file !== taskBox.value[t].first?.frame.file
                var own: DicomFile?
                for (k, f) in taskBox.value[t] {
                    let slice = UnsafeMutableRawBufferPointer(rebasing: box.value[(k * sliceBytes)..<((k + 1) * sliceBytes)])
                    do throws(DicomReadError) {
                        if !firstOfFile, own == nil { own = try DicomFile(path: f.file.path) }
                        try (own ?? f.file).decodeFrame(f.frameIndex, into: slice, width: width)
                    } catch {
                        failures.append(error)
                        // Leave no uninitialised memory behind in a volume that fails.
                        for (k2, _) in taskBox.value[t] {
                            UnsafeMutableRawBufferPointer(rebasing: box.value[(k2 * sliceBytes)..<((k2 + 1) * sliceBytes)]).initializeMemory(as: UInt8.self, repeating: 0)
                        }
                        break
                    }
                }
                progress?()
            }
        }
        let errors = failures.all
        if !errors.isEmpty { return .failure(DecodeFailures(errors: errors)) }
        return .success(Volume(geometry: g, samples: samples, rescale: series.frames.map(\.rescale), padding: series.padding))
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
