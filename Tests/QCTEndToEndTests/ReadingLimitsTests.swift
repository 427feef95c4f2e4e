import Foundation
import QCTTestSupport
import XCTest

/// A header that claims more than its file holds is refused from the header, before anything
/// large is allocated: the refusal names the file and the reason, and qct's peak memory stays
/// under 64 MB (it reached 16.9 GB for a 60000 × 60000 claim before the limits, and a compressed
/// file claiming 50000 frames crashed trying to allocate 52 GB).
final class ReadingLimitsTests: XCTestCase {
    func testHostileHeadersAreRefusedWithinSixtyFourMegabytes() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let qct = try QCTRunner.releaseQCT()
        let sim = try QCTRunner.runTool(qct, ["simulate", "pad", "--out", root.appendingPathComponent("src").path, "--matrix", "64",
                                              "--slices", "1", "--pixel-spacing", "4", "--phantoms", TestRepository.phantoms.path])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let source = root.appendingPathComponent("src/IM00001.dcm").path
        // pydicom writes the damaged headers; each is read by `qct inspect` in a fresh process.
        let run = try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/hostile_headers.py").path,
                                                           qct, source, root.appendingPathComponent("out").path,
                                                           TestRepository.fixtures.appendingPathComponent("dicom/pydicom/MR_small_RLE.dcm").path],
                                          timeout: 300)
        XCTAssertEqual(run.status, 0, run.stderr)
        let results = try run.stdout.split(separator: "\n").map { try QCTRunner.json(String($0)) }
        XCTAssertEqual(results.count, 6)
        let expected = ["matrix-60000": "matrix 60000×60000 is beyond the 8192×8192 qct reads",
                        "matrix-8000": "Pixel Data holds 8192 bytes, 128000000 expected (truncated file?)",
                        "frames-200000": "Number of Frames 200000 is beyond the 100000 qct reads in one file",
                        "frames-50000": "Pixel Data holds 8192 bytes, 409600000 expected (truncated file?)",
                        // pydicom's MR_small_RLE.dcm: 64 × 64, 16-bit, one RLE fragment of 6112 bytes.
                        "compressed-8000": "compressed Pixel Data of 6112 bytes cannot hold 8000×8000×1 pixels (128000000 bytes)",
                        "compressed-frames-50000": "Number of Frames 50000, but the compressed Pixel Data holds 1 fragment(s)"]
        for r in results {
            let name = try XCTUnwrap(r["name"] as? String), file = try XCTUnwrap(r["file"] as? String)
            XCTAssertEqual(r["status"] as? Int, 2, name)
            XCTAssertEqual(r["stderr"] as? String, "refused: \(file): \(try XCTUnwrap(expected[name]))")
            XCTAssertLessThan(try XCTUnwrap(r["maxrss_kb"] as? Int), 64 * 1024, "\(name): peak resident memory")
        }
    }
}

/// Regression files from `make fuzz`, rebuilt from public fixtures by a script.
final class FuzzRegressionTests: XCTestCase {
    /// Runs Scripts/`script`.py on pydicom's fixture `fixture`, writing `script`.dcm under `root`.
    func rebuild(_ script: String, from fixture: String, in root: URL) throws -> String {
        let out = root.appendingPathComponent(script + ".dcm").path
        let made = try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/\(script).py").path,
                                                            TestRepository.fixtures.appendingPathComponent("dicom/pydicom/\(fixture)").path, out])
        XCTAssertEqual(made.status, 0, made.stderr)
        return out
    }

    /// An RLE frame whose segment offset points 4 GB past the frame: DCMTK's RLE decoder read there
    /// and qct crashed (signal 11). The header is now checked first and the file refused.
    func testAnRLEFrameWithAnOffsetOutsideItIsRefusedNotACrash() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let bad = try rebuild("rle_bad_offset", from: "MR_small_RLE.dcm", in: root)
        let run = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["inspect", "--hu-range", bad])
        XCTAssertFalse(run.crashed, run.stderr)
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "refused: \(bad): RLE frame 0: segment header invalid (segment count or offsets outside the frame's 6108 bytes)")
    }

    /// Encapsulated Pixel Data with a VR DICOM does not know ("NW"): DCMTK parses it as a sequence
    /// (CP-246), and the shim took that for DcmPixelData, reading freed memory (signal 11; found by
    /// the `shim` harness after 9.4 million executions). The element's kind is now checked first.
    func testPixelDataOfAnUnknownVRIsRefusedNotACrash() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let bad = try rebuild("pixel_data_unknown_vr", from: "rtdose_rle_1frame.dcm", in: root)
        // Headers only: listed (nothing is decoded); with the pixels: refused by name.
        let listed = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["inspect", bad])
        XCTAssertFalse(listed.crashed, listed.stderr)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let run = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["inspect", "--hu-range", bad])
        XCTAssertFalse(run.crashed, run.stderr)
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "refused: \(bad): Pixel Data (7FE0,0010) could not be read as pixel data (parsed as VR SQ)")
    }

    /// A JPEG 2000 codestream declaring 2883584 × 1024 pixels in a 3 KB file: OpenJPEG allocated what
    /// it declared and qct reached 11.7 GB. The codestream's SIZ is now checked against Rows/Columns
    /// before OpenJPEG builds anything.
    func testAJPEG2000CodestreamDeclaringGigapixelsIsRefusedWithinSixtyFourMegabytes() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let bad = try rebuild("j2k_huge_siz", from: "JPEG2000.dcm", in: root)
        let run = try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/peak_memory.py").path,
                                                           try QCTRunner.releaseQCT(), "inspect", "--hu-range", bad])
        let r = try QCTRunner.json(run.stdout)
        XCTAssertEqual(r["status"] as? Int, 2, run.stdout)
        XCTAssertEqual(r["stderr"] as? String, "refused: \(bad): JPEG 2000 image size 2883584x1024 differs from Rows/Columns")
        XCTAssertLessThan(try XCTUnwrap(r["maxrss_kb"] as? Int), 64 * 1024)
    }

    /// Sequences nested 6,000 deep (a 216 KB file) overflowed the stack inside DCMTK, which parses
    /// nesting by recursion (signal 11). Nesting is now read from the raw bytes first: 16 levels are
    /// read, 17 or more refused before DCMTK sees the file.
    func testSequencesNestedDeeperThanSixteenAreRefusedBeforeParsing() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let ct = TestRepository.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        let script = TestRepository.root.appendingPathComponent("Scripts/deep_sequences.py").path
        for depth in [16, 17, 6000, 50000] {
            let file = root.appendingPathComponent("deep\(depth).dcm").path
            XCTAssertEqual(try QCTRunner.runTool(QCTRunner.python, [script, ct, "\(depth)", file]).status, 0)
            let run = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["inspect", file])
            XCTAssertFalse(run.crashed, "depth \(depth): \(run.stderr)")
            let refused = "refused: \(file): sequences nested more than 16 deep (refused before parsing; no CT needs more than a few levels)"
            if depth <= 16 {
                XCTAssertFalse(run.stderr.contains("nested"), "depth \(depth) is read: \(run.stderr)")
            } else {
                XCTAssertEqual(run.status, 2, "depth \(depth)")
                XCTAssertEqual(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines), refused)
            }
        }
    }

    /// Three real CatPhan slices copied, with `edits` applied by DCMTK's dcmodify to the second.
    func catphanSlices(in root: URL, edits: [String]) throws -> URL {
        let catphan = TestRepository.fixtures.appendingPathComponent("catphan/High quality head")
        let names = try FileManager.default.contentsOfDirectory(atPath: catphan.path).sorted()
        let dir = root.appendingPathComponent("catphan")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (k, name) in names[names.count / 2 ..< names.count / 2 + 3].enumerated() {
            let target = dir.appendingPathComponent(name)
            try FileManager.default.copyItem(at: catphan.appendingPathComponent(name), to: target)
            if k == 1 {
                let run = try QCTRunner.runTool("/usr/bin/dcmodify", ["-nb", "-q"] + edits.flatMap { ["-m", $0] } + [target.path])
                XCTAssertEqual(run.status, 0, run.stderr)
            }
        }
        return dir
    }

    /// Found by the whole-series mutation run: a slice whose Columns became 1 forms a series part of
    /// 512 × 1 pixels; binned to 2 mm pixels it had no column left, and the vertebra search indexed
    /// outside the image (`qct measure` and `qct qc record` died with signal 4). An image narrower
    /// than a vertebral body is now "not found".
    func testAOneColumnSliceIsNotACrash() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try catphanSlices(in: root, edits: ["Columns=1"])
        let qct = try QCTRunner.releaseQCT()
        for args in [["measure", dir.path, "--json"], ["qc", "record", dir.path, "--db", root.appendingPathComponent("qc.sqlite").path]] {
            let run = try QCTRunner.runTool(qct, args)
            XCTAssertFalse(run.crashed, "\(args[0]): \(run.stderr)")
            XCTAssertTrue([2, 3, 4].contains(run.status), "\(args[0]) exit \(run.status): \(run.stderr)")
        }
    }

    /// Found by the whole-series mutation run: an Image Position of 1e308 mm made the slice spacing
    /// infinite, and `qct inspect` printed "spacing varies from 95 to inf mm". A coordinate beyond
    /// 1 km is now read as absent (the series is ordered by Instance Number, and says so).
    func testAnImpossiblePositionPrintsNoInfinity() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try catphanSlices(in: root, edits: ["ImagePositionPatient=1e308\\0\\0"])
        let run = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["inspect", dir.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNil((run.stdout + run.stderr).range(of: #"\b(inf|nan)\b"#, options: [.regularExpression, .caseInsensitive]), run.stdout)
        XCTAssertTrue(run.stdout.contains("missingGeometry"), run.stdout)
    }
}

