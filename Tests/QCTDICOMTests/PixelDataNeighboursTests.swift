import Foundation
import QCTCore
import QCTTestSupport
import XCTest

@testable import QCTDICOM

/// Native Pixel Data is read straight from the file where the raw scan found it. These files put
/// neighbours around it that the scan must step over or leave alone: an Icon Image Sequence whose
/// item holds a Pixel Data of its own (before the image's) and Data Set Trailing Padding after it,
/// in explicit and implicit VR little endian, and a bare data set (no meta header: read through
/// DCMTK's frame access). pydicom's HU of each file, written by `Scripts/pixel_data_neighbours.py`,
/// is the reference.
final class PixelDataNeighboursTests: XCTestCase {
    func testTheDataSetsOwnPixelDataIsReadBesideAnIconAndTrailingPadding() throws {
        let ct = TestRepository.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        guard FileManager.default.fileExists(atPath: ct) else { return XCTFail("\(ct) missing: run make fixtures") }
        let dir = try TestRepository.temporaryDirectory("qct-neighbours")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = TestRepository.root.appendingPathComponent("Scripts/pixel_data_neighbours.py").path
        let run = try ToolRunner.run(TestRepository.python, ["-W", "ignore", script, ct, dir.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [Double]])
        XCTAssertEqual(Set(reference.keys), ["explicit.dcm", "implicit.dcm", "bare.dcm"])
        for (name, expected) in reference.sorted(by: { $0.key < $1.key }) {
            let file = try DicomFile(path: dir.appendingPathComponent(name).path)
            let frames = try HeaderReader.frames(of: file)
            XCTAssertEqual(frames.count, 1, name)
            let f = try XCTUnwrap(frames.first)
            XCTAssertEqual(f.rows * f.columns, expected.count, "\(name): the image's matrix, not the icon's")
            for width in [VoxelSamples.Width.holding([(f.bitsStored, f.signed)]), .int32] {
                let samples = try VoxelSamples.make(width, count: expected.count) { raw in try file.decodeFrame(0, into: raw, width: width) }
                let hu = (0..<expected.count).map { f.rescale.apply(samples[$0]) }
                XCTAssertEqual(zip(hu, expected).filter { $0 != $1 }.count, 0, "\(name) at \(width): voxels differ from pydicom")
            }
        }
    }
}
