import ArgumentParser
import Foundation
import QCTCore
import QCTDICOM

/// Whether a series is CT: its Modality says so (a file that does not say is read as CT).
func isCT(_ s: Series) -> Bool { (s.modality ?? "CT").trimmingCharacters(in: .whitespaces).uppercased() == "CT" }

/// One line for a series of another modality: its first file, the modality, and that CT is needed.
func notCT(_ s: Series, path: String) -> String { "\(s.filePaths.first ?? path): modality \(s.modality ?? "?"), not CT" }

/// The largest CT series read from `path`. A series of another modality (an MR image sent by
/// mistake) is named with its modality; when no CT series is left, that is a refusal (exit 2).
func largestCTSeries(_ read: ReadResult, path: String) throws -> (series: Series, volume: Volume) {
    let pairs = Array(zip(read.series, read.volumes))
    let ct = pairs.filter { isCT($0.0) }
    let others = pairs.filter { !isCT($0.0) }
    guard let best = ct.max(by: { $0.1.geometry.slices < $1.1.geometry.slices }) else {
        for (s, _) in others { printError(notCT(s, path: path)) }
        if others.isEmpty { printError("\(path): no usable CT series") }
        throw ExitCode(ReadExit.nothingUsable)
    }
    for (s, _) in others { printError("ignored: " + notCT(s, path: path)) }
    return (best.0, best.1)
}
