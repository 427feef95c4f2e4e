import Foundation
import QCTCore
import QCTDICOM
import QCTExport

/// `qct export`: the series under a path written as an HU volume (.nrrd, .nii, .nii.gz). Headers
/// are read first and only the chosen series is decoded, then written straight from its stored
/// values (`VolumeWriter`).
public enum SeriesExport {
    /// What was written.
    public struct Written: Sendable {
        public var geometry: VolumeGeometry
        /// The series' problems (gaps, spacing), to show with the result.
        public var problems: [String]
        /// Files refused while reading (headers or pixels).
        public var refused: [RejectedFile]
    }

    /// Exports the largest series under `path` (or the one whose UID is `seriesUID`) to `out`.
    /// Refused files and a note when several series were found go to `report`; nothing usable, or a
    /// failure to write, is a failure naming the file.
    public static func run(_ path: String, seriesUID: String?, out: String, report: DiagnosticSink,
                           progress: SeriesReader.Progress? = nil) throws(WorkflowFailure) -> Written {
        let read = SeriesReader.read(paths: [path], decodePixels: false)
        for r in read.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        let pool = read.series.filter { seriesUID == nil || $0.seriesInstanceUID == seriesUID }.sorted { $0.geometry.slices > $1.geometry.slices }
        var refused = read.rejected
        for s in pool {
            let note = Diagnostic(.note, "\(pool.count) series found; exporting the largest (\(s.seriesInstanceUID)); choose with --series")
            // Straight from the files when the headers allow it; a file that fails to decode sends the
            // series through loading, which refuses that file and exports the rest.
            if let slices = DecodedSlices(s) {
                do {
                    try VolumeWriter.write(slices, to: out)
                    if pool.count > 1 { report(note) }
                    return Written(geometry: s.geometry, problems: s.problems.map(\.description), refused: refused)
                } catch is DecodedSlices.Failure {
                } catch {
                    throw WorkflowFailure(.error, WriteFailure.describe(out, error))
                }
            }
            guard let (series, volume) = SeriesInput.load(s, refused: &refused, report: report, progress: progress) else { continue }
            if pool.count > 1 { report(note) }
            do { try VolumeWriter.write(volume, to: out) } catch { throw WorkflowFailure(.error, WriteFailure.describe(out, error)) }
            return Written(geometry: volume.geometry, problems: series.problems.map(\.description), refused: refused)
        }
        throw WorkflowFailure(path: path, "no usable series\(seriesUID.map { " with UID \($0)" } ?? "")")
    }
}
