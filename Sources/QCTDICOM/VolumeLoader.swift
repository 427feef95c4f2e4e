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
        // Uninitialised: every voxel is written by exactly one decode task, so
        // pages are first touched (and faulted in) by the worker that fills them.
        var stored = [Int32](unsafeUninitializedCapacity: g.voxelCount) { buffer, count in
            LargeBuffer.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            count = g.voxelCount
        }
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
        stored.withUnsafeMutableBufferPointer { buffer in
            let box = UnsafeSendable(buffer)
            let taskBox = UnsafeSendable(tasks)
            DispatchQueue.concurrentPerform(iterations: tasks.count) { t in
                // Chunks after the first of a file get a handle of their own.
                let firstOfFile = t == 0 || taskBox.value[t - 1].first?.frame.file !== taskBox.value[t].first?.frame.file
                var own: DicomFile?
                for (k, f) in taskBox.value[t] {
                    let slice = UnsafeMutableBufferPointer(rebasing: box.value[(k * perSlice)..<((k + 1) * perSlice)])
                    do throws(DicomReadError) {
                        if !firstOfFile, own == nil { own = try DicomFile(path: f.file.path) }
                        try (own ?? f.file).decodeFrame(f.frameIndex, into: slice)
                    } catch {
                        failures.append(error)
                        // Leave no uninitialised memory behind in a volume that fails.
                        for (k2, _) in taskBox.value[t] {
                            UnsafeMutableBufferPointer(rebasing: box.value[(k2 * perSlice)..<((k2 + 1) * perSlice)]).update(repeating: 0)
                        }
                        break
                    }
                }
                progress?()
            }
        }
        let errors = failures.all
        if !errors.isEmpty { return .failure(DecodeFailures(errors: errors)) }
        return .success(Volume(geometry: g, stored: stored, rescale: series.frames.map(\.rescale),
                               padding: series.padding))
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
