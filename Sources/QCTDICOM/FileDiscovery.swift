import Foundation

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
            guard let walker = fm.enumerator(atPath: path) else { continue }
            while let rel = walker.nextObject() as? String {
                let name = (rel as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                let full = (path as NSString).appendingPathComponent(rel)
                var sub: ObjCBool = false
                guard fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { continue }
                if skippedExtensions.contains((name as NSString).pathExtension.lowercased()) { continue }
                found.append(full)
            }
        }
        return (Array(Set(found)).sorted(), missing)
    }
}
