import Foundation

/// Where qct looks for phantom definitions, in order:
/// 1. folders given with `--phantoms`;
/// 2. `QCT_PHANTOMS` (colon-separated folders);
/// 3. a `Phantoms` folder beside the executable or in a parent of it (the
///    repository layout: `.build/release/qct` → `Phantoms/`);
/// 4. `../share/qct/Phantoms` relative to the executable (installed layout);
/// 5. `./Phantoms` in the current directory.
public enum PhantomLocator {
    public static func directories(explicit: [String] = []) -> [String] {
        if !explicit.isEmpty { return explicit }
        if let env = ProcessInfo.processInfo.environment["QCT_PHANTOMS"], !env.isEmpty {
            return env.split(separator: ":").map(String.init)
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var dir = exe
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("Phantoms").path
            if fm.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue { return [candidate] }
            dir = dir.deletingLastPathComponent()
        }
        let installed = exe.deletingLastPathComponent().appendingPathComponent("share/qct/Phantoms").path
        if fm.fileExists(atPath: installed, isDirectory: &isDir), isDir.boolValue { return [installed] }
        return ["Phantoms"]
    }
}
