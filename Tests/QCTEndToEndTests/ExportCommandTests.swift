import Foundation
import QCTTestSupport
import XCTest

/// `qct export` checked by independent readers: nibabel (NIfTI) and pynrrd
/// (NRRD) against pydicom's own reading of the DICOM series.
final class ExportCommandTests: XCTestCase {
    var series: URL!

    override func setUpWithError() throws {
        series = try QCTRunner.temporaryDirectory()
        let ct = QCTRunner.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        // An oblique stack (columns tilted 22° about x), written by DCMTK's dcmodify.
        let (c, s) = (0.9271838545667874, -0.37460659341591196)
        for k in 0..<6 {
            let path = series.appendingPathComponent(String(format: "s%02d.dcm", k)).path
            try FileManager.default.copyItem(atPath: ct, toPath: path)
            let origin = "\(-100.0)\\\(-80.0 + Double(k) * 3 * -s)\\\(20.0 + Double(k) * 3 * c)"
            let r = try QCTRunner.runTool("/usr/bin/dcmodify", [
                "-nb", "-q", "-gin", "-i", "SeriesInstanceUID=1.2.826.0.1.3680043.9.7777.9",
                "-i", "ImageOrientationPatient=1\\0\\0\\0\\\(c)\\\(s)", "-i", "ImagePositionPatient=\(origin)",
                "-i", "InstanceNumber=\(6 - k)", path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(at: series) }

    func check(_ name: String) throws -> [String: Any] {
        let out = series.deletingLastPathComponent().appendingPathComponent("qct-\(UUID().uuidString)-\(name)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try QCTRunner.run(["export", series.path, "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("128x128x6"), run.stdout)
        let script = TestRepository.root.appendingPathComponent("Scripts/check_export.py").path
        let check = try QCTRunner.runTool(QCTRunner.python, ["-W", "ignore", script, series.path, out.path])
        XCTAssertEqual(check.status, 0, check.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any], check.stdout)
    }

    func testNRRDIsPlacedInPatientSpaceWithExactHU() throws {
        let r = try check("v.nrrd")
        XCTAssertEqual(r["space"] as? String, "left-posterior-superior")
        XCTAssertEqual(r["shape"] as? [Int], r["expected_shape"] as? [Int])
        XCTAssertLessThan(try XCTUnwrap(r["affine_max_diff_mm"] as? Double), 1e-9)
        XCTAssertEqual(r["hu_max_diff"] as? Double, 0)
    }

    func testNIfTIAndGzippedNIfTIArePlacedInPatientSpaceWithExactHU() throws {
        for name in ["v.nii", "v.nii.gz"] {
            let r = try check(name)
            XCTAssertEqual(r["shape"] as? [Int], r["expected_shape"] as? [Int], name)
            // NIfTI stores the affine in float32: 1e-4 mm is its resolution here.
            XCTAssertLessThan(try XCTUnwrap(r["affine_max_diff_mm"] as? Double), 1e-4, name)
            XCTAssertLessThan(try XCTUnwrap(r["qform_max_diff_mm"] as? Double), 1e-4, name)
            XCTAssertEqual(r["hu_max_diff"] as? Double, 0, name)
        }
    }

    /// Integer rescale (every CT here): int16 HU, computed from the stored values in integers.
    func testIntegerRescaleIsWrittenAsInt16() throws {
        XCTAssertEqual(try check("v.nii")["dtype"] as? String, "int16")
    }

    /// A non-integer slope: HU are not integers, so float32, still exact.
    func testNonIntegerRescaleIsWrittenAsExactFloat32() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: series.path) where file.hasSuffix(".dcm") {
            let r = try QCTRunner.runTool("/usr/bin/dcmodify", ["-nb", "-q", "-i", "RescaleSlope=0.5", series.appendingPathComponent(file).path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        for name in ["v.nrrd", "v.nii.gz"] {
            let r = try check(name)
            XCTAssertEqual(r["dtype"] as? String, "float32", name)
            XCTAssertEqual(r["hu_max_diff"] as? Double, 0, name)
        }
    }

    /// A volume of several blocks (compressed in parallel, one gzip member each): gzip itself tests
    /// the file and inflates it to exactly the uncompressed export (nibabel reads it in `check`).
    func testGzipOfManyBlocksInflatesToTheSameBytes() throws {
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let scan = root.appendingPathComponent("pad").path
        XCTAssertEqual(try QCTRunner.run(["simulate", "pad", "--out", scan, "--matrix", "256", "--slices", "30"], timeout: 120).status, 0)
        let plain = root.appendingPathComponent("v.nii").path, packed = root.appendingPathComponent("v.nii.gz").path
        for out in [plain, packed] { XCTAssertEqual(try QCTRunner.run(["export", scan, "--out", out]).status, 0) }
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int)
        XCTAssertGreaterThan(size, 3 << 20, "at least three 1 MiB blocks")
        XCTAssertEqual(try QCTRunner.runTool("/bin/gzip", ["-t", packed]).status, 0)
        let same = try QCTRunner.runTool("/bin/sh", ["-c", "gzip -dc '\(packed)' | cmp - '\(plain)'"])
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
    }

    func testBadOutputNameIsRefusedWithExitTwo() throws {
        let r = try QCTRunner.run(["export", series.path, "--out", "refused-output.vtk"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(".nrrd, .nii or .nii.gz"), r.stderr)
    }
}
