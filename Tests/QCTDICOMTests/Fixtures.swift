import Foundation
import QCTTestSupport
import XCTest

/// The fixture cache written by `make fixtures`: pydicom's own test files
/// and the reference HU pydicom computed for each.
struct Fixtures {
    struct Entry: Decodable {
        var id: String
        var path: String
        var kind: String
        var transfer_syntax: String?
        var modality: String?
        var rows: Int?
        var columns: Int?
        var frames: Int?
        var lossy: Bool?
        var rescale: [[Double]]?
        var padding: [Int]?
        var hu_count: Int?
        var hu_mean: Double?
        var hu_min: Double?
        var hu_max: Double?
        var pydicom_error: String?
        var positions: [[Double]?]?
        var orientation: [Double]?
        var pixel_spacing: [Double]?

        var name: String { (path as NSString).lastPathComponent }
    }

    struct Manifest: Decodable {
        var generator: String
        var files: [Entry]
    }

    let root: URL
    let manifest: Manifest

    /// Loads the manifest; fails the test (never skips) when the cache is missing.
    static func load(file: StaticString = #filePath, line: UInt = #line) throws -> Fixtures {
        let root = TestRepository.fixtures
        let url = root.appendingPathComponent("reference/manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            XCTFail("fixture manifest missing at \(url.path): run `make fixtures`", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        return Fixtures(root: root, manifest: manifest)
    }

    /// Absolute path of an entry's DICOM file (manifest paths are relative to the repo).
    func path(_ e: Entry) -> String {
        if e.path.hasPrefix("/") { return e.path }
        return root.deletingLastPathComponent().appendingPathComponent(e.path).path
    }

    /// pydicom's HU for every frame of an entry, little-endian float64.
    func referenceHU(_ e: Entry) throws -> [Double] {
        let data = try Data(contentsOf: root.appendingPathComponent("reference/\(e.id).f64"))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.load(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }

    func entry(named name: String) -> Entry? { manifest.files.first { $0.name == name } }
}
