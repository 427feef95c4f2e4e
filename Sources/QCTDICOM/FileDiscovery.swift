import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds candidate DICOM files under the paths a user gave.
public enum FileDiscovery {
    /// Extensions that are never DICOM; such files are skipped silently so a
    /// folder can hold reports and exports beside its images.
    public static let skippedExtensions: Set<String> = [
        "json", "txt", "md", "csv", "png", "jpg", "jpeg", "svg", "html", "htm", "nrrd", "nii",
        "gz", "xml", "pdf", "log", "sqlite", "db",
    ]

    /// Regular files under `paths` (folders recursively, hidden entries
    /// skipped), sorted. A path that does not exist is reported in `missing`.
    public static func files(in paths: [String]) -> (files: [String], missing: [String]) {
        let fm = FileManager.default
        var found: [String] = []
        var missing: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                missing.append(path)
                continue
            }
            if !isDir.boolValue {
                found.append(path)
                continue
            }
            walk(path, into: &found)
        }
        return (Array(Set(found)).sorted(), missing)
    }

    /// Adds the regular files under folder `root` to `found`: entries read with `readdir`, whose
    /// entry type spares a `stat` per file (a folder of thousands of slices is listed in a few
    /// milliseconds). Hidden entries are skipped and not descended into; a symbolic link counts
    /// as what it points to when that is a file, and is never followed into a folder.
    static func walk(_ root: String, into found: inout [String]) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        var folders = [root]
        while let folder = folders.popLast() {
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let full = folder == "/" ? "/" + name : folder + "/" + name
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_DIR): folders.append(full)
                case Int32(DT_REG): if !skipped(name) { found.append(full) }
                case Int32(DT_LNK):
                    // What the link points to: a file is taken, a folder (or nothing) is not.
                    var st = stat()
                    if stat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG, !skipped(name) { found.append(full) }
                default:
                    // File systems that leave the type unknown: ask.
                    var st = stat()
                    guard lstat(full, &st) == 0 else { continue }
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR: folders.append(full)
                    case S_IFREG: if !skipped(name) { found.append(full) }
                    case S_IFLNK:
                        if stat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG, !skipped(name) { found.append(full) }
                    default: continue
                    }
                }
            }
        }
    }

    /// Whether `name`'s extension marks it as never DICOM.
    static func skipped(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return skippedExtensions.contains(name[name.index(after: dot)...].lowercased())
    }
}
