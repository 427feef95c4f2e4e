import Foundation
import QCTWorkflows

/// The inbox on disk: `.incoming/` for instances being received, `STUDY/SERIES/SOP.dcm` for
/// received series waiting for analysis, `.failed/` for series whose analysis failed (kept for
/// another look). Every file enters its place by a rename within one file system, so a reader
/// sees a whole file or none; a crash leaves at most a `.part` file in `.incoming/`.
public struct InboxLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var incoming: String { (root as NSString).appendingPathComponent(".incoming") }
    public var failed: String { (root as NSString).appendingPathComponent(".failed") }

    /// Creates the folders and removes instances whose reception never ended (a crash or a kill
    /// in the middle of a transfer: the sender was not told Success, so it sends them again).
    public func prepare() throws(WorkflowFailure) {
        for dir in [root, incoming, failed] {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw WorkflowFailure(path: dir, "cannot create the folder (\(error.localizedDescription))")
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [] {
            try? FileManager.default.removeItem(atPath: (incoming as NSString).appendingPathComponent(name))
        }
    }

    /// A UID as a folder or file name: itself when it is a UID (digits and dots, at most 64),
    /// else a fixed hash of it, so that no value from a file can name a path outside the inbox.
    public static func safeName(_ uid: String) -> String {
        let allowed = !uid.isEmpty && uid.count <= 64 && uid.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber } && !uid.hasPrefix(".")
        if allowed { return uid }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in uid.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return "x" + String(hash, radix: 16)
    }

    public func seriesFolder(_ id: InstanceIdentity) -> String {
        ((root as NSString).appendingPathComponent(Self.safeName(id.studyInstanceUID)) as NSString)
            .appendingPathComponent(Self.safeName(id.seriesInstanceUID))
    }

    /// Moves a complete instance file into its series folder (flushed to disk first); returns the
    /// folder. The same instance sent again replaces the earlier copy.
    public func place(_ path: String, as id: InstanceIdentity) throws(WorkflowFailure) -> String {
        let folder = seriesFolder(id)
        let target = (folder as NSString).appendingPathComponent(Self.safeName(id.sopInstanceUID) + ".dcm")
        if let handle = FileHandle(forUpdatingAtPath: path) {
            try? handle.synchronize()
            try? handle.close()
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WorkflowFailure(path: folder, "cannot create the series folder (\(error.localizedDescription))")
        }
        guard rename(path, target) == 0 else {
            throw WorkflowFailure(path: target, "cannot move the received file into the inbox (\(String(cString: strerror(errno))))")
        }
        return folder
    }

    /// Series folders waiting for analysis, with their file count and the times of their oldest
    /// and newest file (what a restart finds).
    public func waitingSeries() -> [(folder: String, files: Int, first: Date, last: Date)] {
        var found: [(String, Int, Date, Date)] = []
        let fm = FileManager.default
        for study in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() where !study.hasPrefix(".") {
            let studyPath = (root as NSString).appendingPathComponent(study)
            for series in ((try? fm.contentsOfDirectory(atPath: studyPath)) ?? []).sorted() where !series.hasPrefix(".") {
                let folder = (studyPath as NSString).appendingPathComponent(series)
                let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".dcm") }
                let dates = files.compactMap {
                    (try? fm.attributesOfItem(atPath: (folder as NSString).appendingPathComponent($0)))?[.modificationDate] as? Date
                }
                guard let first = dates.min(), let last = dates.max() else { continue }
                found.append((folder, files.count, first, last))
            }
        }
        return found
    }

    /// Moves a series folder aside (to `.failed/` or a quarantine), under a name that cannot clash.
    public func move(_ folder: String, into destination: String) throws(WorkflowFailure) -> String {
        let name = (folder as NSString).lastPathComponent + "-" + String(Int(Date().timeIntervalSince1970 * 1000))
        let target = (destination as NSString).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: folder, toPath: target)
        } catch {
            throw WorkflowFailure(path: folder, "cannot move the series to \(destination) (\(error.localizedDescription))")
        }
        removeEmptyStudy(of: folder)
        return target
    }

    /// Deletes a series folder (analysed and stored, or refused with no quarantine).
    public func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
        removeEmptyStudy(of: folder)
    }

    private func removeEmptyStudy(of folder: String) {
        let study = (folder as NSString).deletingLastPathComponent
        if (try? FileManager.default.contentsOfDirectory(atPath: study))?.isEmpty ?? false { try? FileManager.default.removeItem(atPath: study) }
    }
}
