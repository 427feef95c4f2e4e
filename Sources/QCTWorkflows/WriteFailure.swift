import Foundation

/// Why a file could not be written, in one line a person can act on.
public enum WriteFailure {
    /// Why writing `path` failed, in words: the folder, then the permission, then the system's reason.
    public static func describe(_ path: String, _ error: Error) -> String {
        let fm = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        var isDir: ObjCBool = false
        if !fm.fileExists(atPath: folder, isDirectory: &isDir) { return "cannot write \(path): folder \(folder) does not exist" }
        if !isDir.boolValue { return "cannot write \(path): \(folder) is not a folder" }
        if fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return "cannot write \(path): it is a folder" }
        if !fm.isWritableFile(atPath: folder) { return "cannot write \(path): permission denied" }
        let ns = error as NSError
        if let posix = (ns.userInfo[NSUnderlyingErrorKey] as? NSError) ?? (ns.domain == NSPOSIXErrorDomain ? ns : nil),
           posix.domain == NSPOSIXErrorDomain, let reason = strerror(Int32(posix.code)) {
            return "cannot write \(path): \(String(cString: reason).lowercased())"
        }
        // qct's own errors say what they mean; Foundation's carry a localized description.
        if ns.domain != NSCocoaErrorDomain { return "cannot write \(path): \(error)" }
        return "cannot write \(path): \(ns.localizedDescription)"
    }
}
