import ArgumentParser
import Foundation
import QCTCore
import QCTDICOM

/// Whether a series is CT: its Modality says so (a file that does not say is read as CT).
func isCT(_ s: Series) -> Bool { (s.modality ?? "CT").trimmingCharacters(in: .whitespaces).uppercased() == "CT" }

/// One line for a series of another modality: its first file, the modality, and that CT is needed.
func notCT(_ s: Series, path: String) -> String { "\(s.filePaths.first ?? path): modality \(s.modality ?? "?"), not CT" }

/// `--series UID`: which series of a folder to use.
struct SeriesOption: ParsableArguments {
    @Option(name: .customLong("series"),
            help: "The series to use: its Series Instance UID, or a unique ending of it as inspect shows it (default: the largest CT series that holds the phantom).")
    var uid: String?

    /// Whether `s` is the series named (exactly, or by a unique ending); true for every series when none is named.
    func matches(_ s: Series) -> Bool {
        guard let uid = uid?.trimmingCharacters(in: CharacterSet(charactersIn: " …")) , !uid.isEmpty else { return true }
        return s.seriesInstanceUID == uid || s.seriesInstanceUID.hasSuffix(uid)
    }
}

/// The CT series read from `path`, in the order to try them: the one `--series` names, alone; else
/// every CT series, largest first. A series of another modality (an MR image sent by mistake) is
/// named with its modality; when no CT series is left, that is a refusal (exit 2), as is a
/// `--series` that names none or several.
func ctSeriesCandidates(_ read: ReadResult, path: String, choice: SeriesOption) throws -> [(series: Series, volume: Volume)] {
    let pairs = Array(zip(read.series, read.volumes))
    if let uid = choice.uid {
        let named = pairs.filter { choice.matches($0.0) }
        guard named.count == 1, let only = named.first else {
            let known = pairs.map { "\(shortUID($0.0.seriesInstanceUID)) (\($0.0.modality ?? "?"), \($0.1.geometry.slices) slices)" }
            printError(named.isEmpty
                ? "\(path): no series \(uid); series here: \(known.joined(separator: ", "))"
                : "\(path): --series \(uid) names \(named.count) series; give more of the UID")
            throw ExitCode(ReadExit.nothingUsable)
        }
        guard isCT(only.0) else {
            printError(notCT(only.0, path: path))
            throw ExitCode(ReadExit.nothingUsable)
        }
        return [only]
    }
    let ct = pairs.filter { isCT($0.0) }
    let others = pairs.filter { !isCT($0.0) }
    guard !ct.isEmpty else {
        for (s, _) in others { printError(notCT(s, path: path)) }
        if others.isEmpty { printError("\(path): no usable CT series") }
        throw ExitCode(ReadExit.nothingUsable)
    }
    for (s, _) in others { printError("ignored: " + notCT(s, path: path)) }
    return ct.sorted { $0.1.geometry.slices > $1.1.geometry.slices }
}

/// The first candidate whose analysis finds what it looks for (`found`), else the first; with more than
/// one candidate, a note names the series used, why, and how to choose another.
func firstHolding<R>(_ candidates: [(series: Series, volume: Volume)], path: String, what: String,
                     analyse: (Series, Volume) throws -> R, found: (R) -> Bool) throws -> (series: Series, volume: Volume, result: R) {
    let first = candidates[0]
    let firstResult = try analyse(first.series, first.volume)
    var chosen = (first.series, first.volume, firstResult)
    var why = "the largest, and it holds \(what)"
    if !found(firstResult) {
        why = "the largest; no series here holds \(what)"
        for c in candidates.dropFirst() {
            let r = try analyse(c.series, c.volume)
            if found(r) {
                chosen = (c.series, c.volume, r)
                why = "the largest that holds \(what)"
                break
            }
        }
    }
    if candidates.count > 1 {
        let s = chosen.0
        let description = s.acquisition.seriesDescription.map { ", \"\($0)\"" } ?? ""
        printError("note: \(candidates.count) CT series in \(path); used \(shortUID(s.seriesInstanceUID)) (\(chosen.1.geometry.slices) slices\(description)): \(why); choose with --series UID")
    }
    return chosen
}
