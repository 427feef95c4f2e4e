import Foundation

/// Where qct looks for phantom definitions.
///
/// The built-in catalog is the first of:
/// 1. `QCT_PHANTOMS` (colon-separated folders);
/// 2. a `Phantoms` folder beside the executable or in a parent of it (the
///    repository layout: `.build/release/qct` → `Phantoms/`);
/// 3. `../share/qct/Phantoms` relative to the executable (installed layout);
/// 4. `./Phantoms` in the current directory.
///
/// The executable is found through `/proc/self/exe`, so a symlink on PATH
/// works. Folders given with `--phantoms` are added after the built-in ones:
/// a file there may name the shipped materials, and a phantom, certificate
/// or scanner profile with the same id replaces the built-in one.
public enum PhantomLocator {
    public static func directories(explicit: [String] = []) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for d in builtIn().found + explicit {
            let key = URL(fileURLWithPath: d).standardizedFileURL.resolvingSymlinksInPath().path
            if seen.insert(key).inserted { out.append(d) }
        }
        return out
    }

    /// The built-in folder(s) found, and every place looked in.
    public static func builtIn() -> (found: [String], searched: [String]) {
        if let env = ProcessInfo.processInfo.environment["QCT_PHANTOMS"], !env.isEmpty {
            let dirs = env.split(separator: ":").map(String.init)
            return (dirs, dirs)
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        var searched: [String] = []
        func exists(_ path: String) -> Bool {
            searched.append(path)
            return fm.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
        let exe = executable().deletingLastPathComponent()
        var dir = exe
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("Phantoms").path
            if exists(candidate) { return ([candidate], searched) }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        let installed = exe.deletingLastPathComponent().appendingPathComponent("share/qct/Phantoms").path
        if exists(installed) { return ([installed], searched) }
        if exists("Phantoms") { return (["Phantoms"], searched) }
        return ([], searched)
    }

    /// The running executable's real path.
    static func executable() -> URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: proc.path) {
            return URL(fileURLWithPath: real)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    }
}
