import Foundation
import XCTest

/// Builds test series from a real CT slice with DCMTK's own `dcmodify`, so
/// the files under test are written by a tool other than qct.
struct SeriesBuilder {
    let directory: URL
    let template: String

    init(template: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("qct-series-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.template = template
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Writes one slice: a copy of the template with the given attributes
    /// (keyword or (gggg,eeee) = value) and a fresh SOP Instance UID.
    @discardableResult
    func slice(_ name: String, _ attributes: [String: String], from source: String? = nil) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: source ?? template, toPath: path)
        var args = ["-nb", "-q", "-gin"]
        for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { args += ["-i", "\(k)=\(v)"] }
        args.append(path)
        try Self.run("/usr/bin/dcmodify", args)
        return path
    }

    /// Axial slices at the given z positions (mm), sharing one series UID.
    func axialSeries(z: [Double], uid: String = "1.2.826.0.1.3680043.9.7777.1",
                     extra: [String: String] = [:], x: Double = -158.135803, y: Double = -179.035797) throws {
        for (i, zi) in z.enumerated() {
            var a = extra
            a["SeriesInstanceUID"] = uid
            a["ImagePositionPatient"] = "\(x)\\\(y)\\\(zi)"
            a["InstanceNumber"] = "\(i + 1)"
            try slice(String(format: "s%03d.dcm", i), a)
        }
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw NSError(domain: "SeriesBuilder", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args.joined(separator: " ")): \(text)"])
        }
    }
}
