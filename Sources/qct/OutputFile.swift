import ArgumentParser
import Foundation

/// Files qct writes: each announced as `wrote FILE` on standard error, each failure one line
/// (`cannot write FILE: permission denied`, `… folder DIR does not exist`) and exit 2.
enum OutputFile {
    /// Runs `write`; a failure becomes one line and exit 2.
    static func write(_ path: String, announce: Bool = true, _ write: () throws -> Void) throws {
        do { try write() } catch {
            printError(failure(path, error))
            throw ExitCode(ReadExit.nothingUsable)
        }
        if announce { printError("wrote \(path)") }
    }

    /// Writes `text` (UTF-8) atomically.
    static func write(_ text: String, to path: String, announce: Bool = true) throws {
        try write(path, announce: announce) { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) }
    }

    /// Why writing `path` failed, in words: the folder, then the permission, then the system's reason.
    static func failure(_ path: String, _ error: Error) -> String {
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
