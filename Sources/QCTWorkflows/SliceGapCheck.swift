import Foundation
import QCTCalibration
import QCTDICOM

/// A gap in a series' slice positions — a file refused or missing inside it — as a WARN check: the
/// slices after it are placed as if evenly spaced, and what lay in the gap was not read. Names the
/// refused files of the series' folder, each gap's z range and, when given, what it cuts through.
public enum SliceGapCheck {
    /// `inside` names what a z range cuts through (e.g. a vertebra's slab), if anything.
    public static func checks(_ series: Series, refused: [RejectedFile], inside: ([Double]) -> String? = { _ in nil }) -> [CalibrationCheck] {
        let gaps = series.problems.filter { $0.kind == .gap }
        guard !gaps.isEmpty else { return [] }
        let folders = Set(series.filePaths.map { ($0 as NSString).deletingLastPathComponent })
        let files = refused.filter { folders.contains(($0.path as NSString).deletingLastPathComponent) }
        var detail = gaps.flatMap { p -> [String] in
            (p.gapsMM ?? []).map { g in
                String(format: "no slice between z %.2f and %.2f mm", g[0], g[1]) + (inside(g).map { " (\($0))" } ?? "")
            }
        }.joined(separator: "; ")
        if detail.isEmpty { detail = gaps.map(\.detail).joined(separator: "; ") }
        if !files.isEmpty {
            detail += "; refused: " + files.prefix(3).map { "\($0.path) (\($0.reason))" }.joined(separator: ", ")
                + (files.count > 3 ? ", and \(files.count - 3) more" : "")
        }
        return [CalibrationCheck(name: "slice gap", status: .warn, detail: detail + "; slices beyond it are placed as if evenly spaced")]
    }

    /// Adds the series' gap checks to a calibration, which then warns at least; returns them.
    @discardableResult
    public static func apply(to result: inout CalibrationResult, _ series: Series, refused: [RejectedFile]) -> [CalibrationCheck] {
        let gaps = checks(series, refused: refused)
        if !gaps.isEmpty {
            result.checks += gaps
            result.status = max(result.status, .warn)
        }
        return gaps
    }
}
