import Foundation
import QCTCore
import XCTest
import QCTTestSupport

@testable import QCTDICOM

/// Series assembly on series written by DCMTK's dcmodify from pydicom's CT_small.
final class SeriesAssemblyTests: XCTestCase {
    var builder: SeriesBuilder!
    var fixtures: Fixtures!

    override func setUpWithError() throws {
        fixtures = try Fixtures.load()
        guard let ct = fixtures.entry(named: "CT_small.dcm") else { throw XCTSkip("unreachable") }
        builder = try SeriesBuilder(template: fixtures.path(ct))
    }

    override func tearDown() { builder?.remove() }

    func read() -> ReadResult { SeriesReader.read(paths: [builder.directory.path]) }

    func testShuffledSlicesAreSortedAlongTheNormalWithSpacingFromPositions() throws {
        let z = [7.5, -5, 0, 2.5, 10, -2.5, 5, 12.5]
        // Slice Thickness says 5 mm; positions say 2.5 mm: positions win.
        try builder.axialSeries(z: z)
        let r = read()
        XCTAssertEqual(r.series.count, 1)
        XCTAssertEqual(r.rejected.count, 0)
        let s = try XCTUnwrap(r.series.first)
        XCTAssertEqual(s.geometry.slices, 8)
        XCTAssertEqual(s.geometry.sliceSpacing, 2.5, accuracy: 1e-9)
        XCTAssertEqual(s.frames.compactMap { $0.position?.z }, z.sorted())
        XCTAssertEqual(s.geometry.origin.z, -5, accuracy: 1e-9)
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(s.sliceThicknessMM, 5)
    }

    func testGapIsNamed() throws {
        try builder.axialSeries(z: [0, 2.5, 5, 7.5, 15, 17.5])
        let s = try XCTUnwrap(read().series.first)
        XCTAssertEqual(s.problems.map(\.kind), [.gap])
        XCTAssertTrue(s.problems[0].detail.contains("7.5 mm"), s.problems[0].detail)
    }

    func testUnevenSpacingIsNamed() throws {
        try builder.axialSeries(z: [0, 2.5, 5, 7.7, 10.2])
        XCTAssertEqual(try XCTUnwrap(read().series.first).problems.map(\.kind), [.unevenSpacing])
    }

    func testDuplicatePositionsAreNamedAndDropped() throws {
        try builder.axialSeries(z: [0, 2.5, 2.5, 5, 7.5])
        let s = try XCTUnwrap(read().series.first)
        XCTAssertEqual(s.problems.map(\.kind), [.duplicateSlices])
        XCTAssertEqual(s.geometry.slices, 4)
    }

    func testGantryTiltIsNamedAndKeptInTheSliceStep() throws {
        // 15° tilt: each 2.5 mm step along z also moves 2.5·tan(15°) mm in y.
        let t = 2.5 * 0.2679491924311227
        for k in 0..<5 {
            try builder.slice("t\(k).dcm", ["SeriesInstanceUID": "1.2.826.0.1.3680043.9.7777.2",
                                           "ImagePositionPatient": "0\\\(Double(k) * t)\\\(Double(k) * 2.5)",
                                           "GantryDetectorTilt": "15", "InstanceNumber": "\(k + 1)"])
        }
        let s = try XCTUnwrap(read().series.first)
        XCTAssertEqual(s.problems.map(\.kind), [.gantryTilt])
        XCTAssertTrue(s.problems[0].detail.contains("15°"), s.problems[0].detail)
        XCTAssertEqual(s.geometry.sliceStep.y, t, accuracy: 1e-9)
        XCTAssertEqual(s.geometry.sliceSpacing, 2.5, accuracy: 1e-9)
    }

    func testLocalizersAndNonAxialImagesStayOut() throws {
        try builder.axialSeries(z: [0, 2.5, 5])
        try builder.slice("scout.dcm", ["SeriesInstanceUID": "1.2.826.0.1.3680043.9.7777.1",
                                        "ImageType": "ORIGINAL\\PRIMARY\\LOCALIZER"])
        try builder.slice("sag.dcm", ["SeriesInstanceUID": "1.2.826.0.1.3680043.9.7777.3",
                                      "ImageOrientationPatient": "0\\1\\0\\0\\0\\-1"])
        let r = read()
        XCTAssertEqual(r.series.count, 1)
        XCTAssertEqual(r.series.first?.geometry.slices, 3)
        XCTAssertEqual(r.excluded.count, 2)
        XCTAssertTrue(r.excluded.contains { $0.reason.contains("localizer") })
        XCTAssertTrue(r.excluded.contains { $0.reason.contains("non-axial") && $0.reason.contains("90°") })
        XCTAssertEqual(r.rejected.count, 0)
    }

    func testMixedMatrixSizesSplitTheSeries() throws {
        try builder.axialSeries(z: [0, 2.5, 5])
        let mr = try XCTUnwrap(fixtures.entry(named: "MR_small.dcm"))
        try builder.slice("mr.dcm", ["SeriesInstanceUID": "1.2.826.0.1.3680043.9.7777.1",
                                     "ImageOrientationPatient": "1\\0\\0\\0\\1\\0"], from: fixtures.path(mr))
        let r = read()
        XCTAssertEqual(r.series.count, 2)
        XCTAssertEqual(Set(r.series.compactMap(\.part)), [1, 2])
        XCTAssertTrue(r.series.allSatisfy { $0.problems.first?.kind == .mixedGeometry })
        XCTAssertEqual(Set(r.series.map(\.geometry.columns)), [128, 64])
    }

    func testDecimalStringsInScientificFormAreParsed() throws {
        try builder.slice("a.dcm", ["RescaleSlope": "001.000000E+00", "RescaleIntercept": "-1.000E+03"])
        let original = try XCTUnwrap(fixtures.entry(named: "CT_small.dcm"))
        let r = read()
        let v = try XCTUnwrap(r.volumes.first)
        XCTAssertEqual(r.series.first?.frames.first?.rescale.slope, 1)
        XCTAssertEqual(r.series.first?.frames.first?.rescale.intercept, -1000)
        let reference = try fixtures.referenceHU(original)
        // pydicom's HU used CT_small's own intercept; with slope 1 the new one shifts every voxel exactly.
        let shift = -1000 - (try XCTUnwrap(original.rescale?.first?[1]))
        XCTAssertEqual((0..<v.geometry.voxelCount).map { v.hu(at: $0) }, reference.map { $0 + shift })
    }

    /// A rescale that is present but not a number, or a zero slope, gives no HU: the file is refused
    /// by name (a "nan" slope was read as absent, slope 1, and an "inf" intercept as 0, found by the
    /// whole-series mutation test), and the rest of the series is kept.
    func testARescaleThatIsNotAFiniteNumberRefusesTheFile() throws {
        try builder.axialSeries(z: [0, 2.5, 5, 7.5])
        let cases = [("s001.dcm", "RescaleSlope", "nan", "Rescale Slope \"nan\" is not a finite number"),
                     ("s002.dcm", "RescaleIntercept", "inf", "Rescale Intercept \"inf\" is not a finite number"),
                     ("s003.dcm", "RescaleSlope", "0", "Rescale Slope 0 maps every pixel to one value")]
        for (name, key, value, _) in cases {
            try SeriesBuilder.run("/usr/bin/dcmodify", ["-nb", "-q", "-m", "\(key)=\(value)", builder.directory.appendingPathComponent(name).path])
        }
        let r = read()
        XCTAssertEqual(r.rejected.map(\.path), cases.map { builder.directory.appendingPathComponent($0.0).path })
        XCTAssertEqual(r.rejected.map(\.reason), cases.map(\.3))
        XCTAssertEqual(r.series.first?.geometry.slices, 1)
    }

    func testUnreadableSliceIsRefusedAndTheRestIsKept() throws {
        try builder.axialSeries(z: [0, 2.5, 5, 7.5, 10])
        // Truncate one slice inside its pixel data.
        let victim = builder.directory.appendingPathComponent("s002.dcm").path
        let data = try Data(contentsOf: URL(fileURLWithPath: victim))
        try data.prefix(data.count - 4000).write(to: URL(fileURLWithPath: victim))
        let r = read()
        XCTAssertEqual(r.rejected.map(\.path), [victim])
        XCTAssertTrue(r.rejected[0].reason.contains("truncated"), r.rejected[0].reason)
        XCTAssertEqual(r.series.first?.geometry.slices, 4)
        XCTAssertEqual(r.series.first?.problems.map(\.kind), [.gap])
    }
}

/// No C++ exception crosses into Swift: the shim's barrier turns each into an error with its kind.
final class ShimBarrierTests: XCTestCase {
    func testExceptionsInsideTheShimBecomeErrorsWithTheirKind() throws {
        let oom = try XCTUnwrap(DicomFile.barrierSelfTest(1))
        XCTAssertEqual(oom.kind, .outOfMemory)
        XCTAssertEqual(oom.reason, "out of memory")
        let runtime = try XCTUnwrap(DicomFile.barrierSelfTest(2))
        XCTAssertEqual(runtime.kind, .internal)
        XCTAssertEqual(runtime.reason, "internal error: self-test")
        XCTAssertEqual(try XCTUnwrap(DicomFile.barrierSelfTest(3)).kind, .internal)
        XCTAssertNil(DicomFile.barrierSelfTest(0))
    }

    func testFailuresAreClassifiedByKindNotByText() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qct-kind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("notes.txt")
        try Data("not a DICOM file at all, just some text long enough to be read as one".utf8).write(to: text)
        XCTAssertThrowsError(try DicomFile(path: text.path)) { XCTAssertEqual(($0 as? DicomReadError)?.kind, .notDICOM, "\($0)") }
        XCTAssertThrowsError(try DicomFile(path: dir.appendingPathComponent("missing.dcm").path)) {
            XCTAssertNotEqual(($0 as? DicomReadError)?.kind, DicomReadError.Kind.none, "\($0)")
        }
    }
}

/// What a read holds is let go with it: every file's DCMTK data set is released when the result
/// is (a batch of hundreds of series read one after another must not keep them all).
final class ReadReleaseTests: XCTestCase {
    func testAFileReadIsReleasedWithTheResult() throws {
        let ct = TestRepository.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        weak var headerFile: DicomFile?
        weak var decodedFile: DicomFile?
        do {
            let headers = SeriesReader.read(paths: [ct], decodePixels: false)
            headerFile = headers.series.first?.frames.first?.file
            let decoded = SeriesReader.read(paths: [ct])
            decodedFile = decoded.series.first?.frames.first?.file
            XCTAssertNotNil(headerFile)
            XCTAssertNotNil(decodedFile)
            XCTAssertEqual(decoded.volumes.count, 1)
        }
        XCTAssertNil(headerFile, "the headers' file is released with the result")
        XCTAssertNil(decodedFile, "the decoded series' file is released with the result")
    }
}
