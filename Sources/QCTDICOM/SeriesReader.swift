import Dispatch
import Foundation
import QCTCore

/// A file qct could not use, and why (one line for a person).
public struct RejectedFile: Hashable, Codable, Sendable {
    public var path: String
    public var reason: String
}

/// Everything read from a set of paths.
public struct ReadResult: Sendable {
    public var series: [Series]
    /// Volumes of `series`, same order; empty when pixels were not decoded.
    public var volumes: [Volume]
    public var rejected: [RejectedFile]
    public var excluded: [ExcludedItem]
}

/// Reads folders and files into assembled series and HU volumes, in parallel.
public enum SeriesReader {
    /// Progress callback: (completed units, total units). Called from worker threads.
    public typealias Progress = @Sendable (Int, Int) -> Void

    /// Reads every file under `paths`. With `decodePixels`, each series is
    /// decoded into a `Volume`, and files whose pixels fail to decode are
    /// rejected and left out of their series.
    public static func read(paths: [String], decodePixels: Bool = true,
                            progress: Progress? = nil) -> ReadResult {
        let (files, missing) = FileDiscovery.files(in: paths)
        var rejected = missing.map { RejectedFile(path: $0, reason: "no such file or folder") }
        var excluded: [ExcludedItem] = []
        let total = decodePixels ? files.count * 2 : files.count
        let counter = ProgressCounter(total: total, callback: progress)

        // 1. Headers, in parallel.
        let outcomes = parallelMap(files) { path -> Result<[FrameHeader], DicomReadError> in
            defer { counter.step() }
            do {
                let file = try DicomFile(path: path)
                return .success(try HeaderReader.frames(of: file))
            } catch let error as DicomReadError {
                return .failure(error)
            } catch {
                return .failure(DicomReadError(path: path, reason: "\(error)"))
            }
        }
        var frames: [FrameHeader] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let f): frames.append(contentsOf: f)
            case .failure(let e):
                if let item = nonImage(e) { excluded.append(item) } else {
                    rejected.append(RejectedFile(path: e.path, reason: e.reason))
                }
            }
        }

        // 2. Assembly; 3. decoding, dropping files that fail.
        var (series, moreExcluded) = SeriesAssembler.assemble(frames)
        excluded += moreExcluded
        var volumes: [Volume] = []
        if decodePixels {
            var loaded: [(Series, Volume)] = []
            for s in series {
                let l = load(s, progress: { counter.step() })
                loaded += l.parts
                rejected += l.rejected
            }
            series = loaded.map(\.0)
            volumes = loaded.map(\.1)
        }
        counter.finish()
        rejected.sort { $0.path < $1.path }
        return ReadResult(series: series, volumes: volumes, rejected: rejected, excluded: excluded)
    }

    /// One series decoded: its volume, or, when some files' pixels cannot be decoded, those files
    /// refused and the series assembled again from the rest (which may make several parts).
    public struct Loaded: Sendable {
        public var parts: [(series: Series, volume: Volume)]
        public var rejected: [RejectedFile]
    }

    /// Decodes `s` (read with headers only) into its volume: what a command does with the one
    /// series it chose, so a folder of many series never holds more than one volume at a time.
    public static func load(_ s: Series, progress: (@Sendable () -> Void)? = nil) -> Loaded {
        switch VolumeLoader.load(s, progress: progress) {
        case .success(let v): return Loaded(parts: [(s, v)], rejected: [])
        case .failure(let failures):
            var failedPaths = Set<String>(), rejected: [RejectedFile] = []
            for e in failures.errors where failedPaths.insert(e.path).inserted {
                rejected.append(RejectedFile(path: e.path, reason: e.reason))
            }
            let remaining = s.frames.filter { !failedPaths.contains($0.file.path) }
            var parts: [(series: Series, volume: Volume)] = []
            if !remaining.isEmpty {
                for s2 in SeriesAssembler.assemble(remaining).0 {
                    if case .success(let v) = VolumeLoader.load(s2) { parts.append((s2, v)) }
                }
            }
            return Loaded(parts: parts, rejected: rejected.sorted { $0.path < $1.path })
        }
    }

    /// Valid DICOM that is not an image at all (no Rows/Columns, no pixels):
    /// structured reports, plans, DICOMDIRs. Kept out, not refused.
    static func nonImage(_ e: DicomReadError) -> ExcludedItem? {
        guard e.kind == .noImage else { return nil }
        return ExcludedItem(identifier: e.path, count: 1, reason: "not an image (no Rows/Columns or Pixel Data)")
    }
}

/// Thread-safe progress counter: `step` from any worker, `callback` told (done, total).
public final class ProgressCounter: Sendable {
    private let done = Locked(0)
    private let total: Int
    private let callback: SeriesReader.Progress?

    public init(total: Int, callback: SeriesReader.Progress?) {
        self.total = total
        self.callback = callback
    }

    @Sendable public func step() {
        guard let callback else { return }
        let d = done.withLock { n -> Int in
            n += 1
            return n
        }
        callback(min(d, total), total)
    }

    public func finish() { callback?(total, total) }
}

/// Maps `items` on all cores, keeping order.
func parallelMap<T, R>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] where T: Sendable, R: Sendable {
    if items.isEmpty { return [] }
    let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
    results.initialize(repeating: nil)
    // The results are released before the memory is freed: freeing alone would leak every value
    // (each file's headers and its open DCMTK data set).
    defer {
        _ = results.deinitialize()
        results.deallocate()
    }
    let box = UnsafeSendable(results)
    items.withUnsafeBufferPointer { input in
        let inBox = UnsafeSendable(input)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            box.value[i] = body(inBox.value[i])
        }
    }
    return results.map { $0! }
}

/// Wraps a value whose concurrent use the caller makes safe (disjoint indices).
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension ReadResult {
    /// Decoded series (optionally only those with `seriesInstanceUID`), and
    /// among them the one with the most slices: what a single-series command works on.
    public func largestSeries(seriesInstanceUID uid: String? = nil) -> (candidates: Int, series: Series, volume: Volume)? {
        let pairs = zip(series, volumes).filter { uid == nil || $0.0.seriesInstanceUID == uid }
        guard let best = pairs.max(by: { $0.1.geometry.slices < $1.1.geometry.slices }) else { return nil }
        return (pairs.count, best.0, best.1)
    }
}
