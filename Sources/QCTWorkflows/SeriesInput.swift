import Foundation
import QCTCore
import QCTDICOM

/// Which CT series of what was read a command uses, and how series are named to a person.
public enum SeriesInput {
    /// Whether `s` is CT: its Modality says so (a file that does not say is read as CT).
    public static func isCT(_ s: Series) -> Bool { isCT(modality: s.modality) }

    /// Whether a Modality value is CT (none is read as CT).
    public static func isCT(modality: String?) -> Bool { (modality ?? "CT").trimmingCharacters(in: .whitespaces).uppercased() == "CT" }

    /// Why a series of another modality is not used: its first file, the modality, and that CT is needed.
    public static func notCT(_ s: Series, path: String) -> String { notCT(modality: s.modality, firstFile: s.filePaths.first, path: path) }

    /// `notCT` from the modality and the series' first file.
    public static func notCT(modality: String?, firstFile: String?, path: String) -> String { "\(firstFile ?? path): modality \(modality ?? "?"), not CT" }

    /// A Series Instance UID as a person reads it: its last 27 characters after "…" when long.
    public static func shortUID(_ uid: String) -> String { uid.count > 28 ? "…" + uid.suffix(27) : uid }

    /// The deepest folder holding every file.
    public static func commonFolder(_ files: [String]) -> String {
        let dirs = files.map { ($0 as NSString).deletingLastPathComponent.split(separator: "/", omittingEmptySubsequences: false) }
        guard var prefix = dirs.first else { return "." }
        for d in dirs.dropFirst() {
            var k = 0
            while k < min(prefix.count, d.count), prefix[k] == d[k] { k += 1 }
            prefix = Array(prefix.prefix(k))
        }
        let joined = prefix.joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    /// Reads the headers under `path` (refused files go to `report`) and returns what was read with its
    /// CT series in the order to try them (`candidates`). No pixels are decoded yet: `firstHolding`
    /// decodes one candidate at a time.
    public static func read(_ path: String, selection: SeriesSelection, report: DiagnosticSink) throws(WorkflowFailure) -> (ReadResult, [Series]) {
        let read = SeriesReader.read(paths: [path], decodePixels: false)
        for r in read.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        return (read, try candidates(read, path: path, selection: selection, report: report))
    }

    /// The CT series read from `path`, in the order to try them: the one `selection` names, alone; else
    /// every CT series, largest first. A series of another modality is reported as ignored; no CT series
    /// left, or a selection that names none or several, is a failure.
    public static func candidates(_ read: ReadResult, path: String, selection: SeriesSelection,
                                  report: DiagnosticSink) throws(WorkflowFailure) -> [Series] {
        if let uid = selection.uid {
            let named = read.series.filter { selection.matches($0) }
            guard named.count == 1, let only = named.first else {
                let known = read.series.map { "\(shortUID($0.seriesInstanceUID)) (\($0.modality ?? "?"), \($0.geometry.slices) slices)" }
                throw WorkflowFailure(path: path, named.isEmpty ? "no series \(uid); series here: \(known.joined(separator: ", "))"
                                                               : "--series \(uid) names \(named.count) series; give more of the UID")
            }
            guard isCT(only) else { throw WorkflowFailure(.error, notCT(only, path: path)) }
            return [only]
        }
        let ct = read.series.filter { isCT($0) }
        let others = read.series.filter { !isCT($0) }
        guard !ct.isEmpty else {
            var lines = others.map { Diagnostic(.error, notCT($0, path: path)) }
            if others.isEmpty { lines.append(Diagnostic(.error, path: path, "no usable CT series")) }
            throw WorkflowFailure(lines)
        }
        for s in others { report(Diagnostic(.ignored, notCT(s, path: path))) }
        return ct.sorted { $0.geometry.slices > $1.geometry.slices }
    }

    /// One candidate decoded: the largest part that decodes (files whose pixels fail are refused,
    /// through `report`, and added to `refused`), or nil when none does.
    static func load(_ s: Series, refused: inout [RejectedFile], report: DiagnosticSink,
                     progress: SeriesReader.Progress?) -> (series: Series, volume: Volume)? {
        let counter = ProgressCounter(total: s.frames.count, callback: progress)
        let loaded = SeriesReader.load(s, progress: counter.step)
        for r in loaded.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        refused = (refused + loaded.rejected).sorted { $0.path < $1.path }
        return loaded.parts.max { $0.volume.geometry.slices < $1.volume.geometry.slices }
    }

    /// The first candidate whose analysis finds what it looks for (`found`), else the first that
    /// decodes; with more than one candidate, a note names the series used, why, and how to choose
    /// another. Candidates are decoded one at a time and a volume not chosen is let go before the
    /// next is read. `analyse` gets the files refused so far (header and pixel refusals).
    public static func firstHolding<R>(_ candidates: [Series], refused: [RejectedFile], path: String, what: String, report: DiagnosticSink,
                                       progress: SeriesReader.Progress? = nil, analyse: (Series, Volume, [RejectedFile]) throws -> R,
                                       found: (R) -> Bool) throws -> (series: Series, volume: Volume, result: R, refused: [RejectedFile]) {
        var refused = refused
        var chosen: (series: Series, volume: Volume, result: R, refused: [RejectedFile])?
        var firstFound = false
        for c in candidates {
            guard let (series, volume) = load(c, refused: &refused, report: report, progress: progress) else { continue }
            let r = try analyse(series, volume, refused)
            if found(r) {
                firstFound = chosen == nil
                chosen = (series, volume, r, refused)
                break
            }
            if chosen == nil { chosen = (series, volume, r, refused) }
        }
        guard let chosen else { throw WorkflowFailure(path: path, "no usable CT series (no candidate's pixels could be decoded)") }
        if candidates.count > 1 {
            let why = firstFound && chosen.series.seriesInstanceUID == candidates[0].seriesInstanceUID ? "the largest, and it holds \(what)"
                : found(chosen.result) ? "the largest that holds \(what)" : "the largest; no series here holds \(what)"
            let s = chosen.series
            let description = s.acquisition.seriesDescription.map { ", \"\($0)\"" } ?? ""
            report(Diagnostic(.note, "\(candidates.count) CT series in \(path); used \(shortUID(s.seriesInstanceUID)) (\(chosen.volume.geometry.slices) slices\(description)): \(why); choose with --series UID"))
        }
        return chosen
    }
}

/// A series chosen by its Series Instance UID, exactly or by a unique ending (as inspect shows it).
public struct SeriesSelection: Sendable, Hashable {
    public var uid: String?

    public init(uid: String? = nil) { self.uid = uid }

    /// Whether `s` is the series named; true for every series when none is named.
    public func matches(_ s: Series) -> Bool {
        guard let uid = uid?.trimmingCharacters(in: CharacterSet(charactersIn: " …")), !uid.isEmpty else { return true }
        return s.seriesInstanceUID == uid || s.seriesInstanceUID.hasSuffix(uid)
    }
}
