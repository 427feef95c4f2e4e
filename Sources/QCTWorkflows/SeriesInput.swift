import Foundation
import QCTCore
import QCTDICOM

/// Which CT series of what was read a command uses, and how series are named to a person.
public enum SeriesInput {
    /// Whether `s` is CT: its Modality says so (a file that does not say is read as CT).
    public static func isCT(_ s: Series) -> Bool { (s.modality ?? "CT").trimmingCharacters(in: .whitespaces).uppercased() == "CT" }

    /// Why a series of another modality is not used: its first file, the modality, and that CT is needed.
    public static func notCT(_ s: Series, path: String) -> String { "\(s.filePaths.first ?? path): modality \(s.modality ?? "?"), not CT" }

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

    /// Reads `path` (refused files go to `report`) and returns what was read with its CT series in
    /// the order to try them (`candidates`).
    public static func read(_ path: String, selection: SeriesSelection, report: DiagnosticSink,
                            progress: SeriesReader.Progress?) throws(WorkflowFailure) -> (ReadResult, [(series: Series, volume: Volume)]) {
        let read = SeriesReader.read(paths: [path], progress: progress)
        for r in read.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        return (read, try candidates(read, path: path, selection: selection, report: report))
    }

    /// The CT series read from `path`, in the order to try them: the one `selection` names, alone; else
    /// every CT series, largest first. A series of another modality is reported as ignored; no CT series
    /// left, or a selection that names none or several, is a failure.
    public static func candidates(_ read: ReadResult, path: String, selection: SeriesSelection,
                                  report: DiagnosticSink) throws(WorkflowFailure) -> [(series: Series, volume: Volume)] {
        let pairs = Array(zip(read.series, read.volumes))
        if let uid = selection.uid {
            let named = pairs.filter { selection.matches($0.0) }
            guard named.count == 1, let only = named.first else {
                let known = pairs.map { "\(shortUID($0.0.seriesInstanceUID)) (\($0.0.modality ?? "?"), \($0.1.geometry.slices) slices)" }
                throw WorkflowFailure(path: path, named.isEmpty ? "no series \(uid); series here: \(known.joined(separator: ", "))"
                                                               : "--series \(uid) names \(named.count) series; give more of the UID")
            }
            guard isCT(only.0) else { throw WorkflowFailure(.error, notCT(only.0, path: path)) }
            return [only]
        }
        let ct = pairs.filter { isCT($0.0) }
        let others = pairs.filter { !isCT($0.0) }
        guard !ct.isEmpty else {
            var lines = others.map { Diagnostic(.error, notCT($0.0, path: path)) }
            if others.isEmpty { lines.append(Diagnostic(.error, path: path, "no usable CT series")) }
            throw WorkflowFailure(lines)
        }
        for (s, _) in others { report(Diagnostic(.ignored, notCT(s, path: path))) }
        return ct.sorted { $0.1.geometry.slices > $1.1.geometry.slices }
    }

    /// The first candidate whose analysis finds what it looks for (`found`), else the first; with more than
    /// one candidate, a note names the series used, why, and how to choose another.
    public static func firstHolding<R>(_ candidates: [(series: Series, volume: Volume)], path: String, what: String, report: DiagnosticSink,
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
            report(Diagnostic(.note, "\(candidates.count) CT series in \(path); used \(shortUID(s.seriesInstanceUID)) (\(chosen.1.geometry.slices) slices\(description)): \(why); choose with --series UID"))
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
