import Foundation
import QCTCore
import XCTest

@testable import QCTDICOM

/// Geometry, padding and protocol against pydicom's reading of the same files.
final class GeometryParityTests: XCTestCase {
    func testCTGeometryMatchesPydicom() throws {
        let fixtures = try Fixtures.load()
        let cts = fixtures.manifest.files.filter { $0.kind == "image" && $0.modality == "CT" }
        XCTAssertGreaterThanOrEqual(cts.count, 8)
        for e in cts {
            let r = SeriesReader.read(paths: [fixtures.path(e)])
            let s = try XCTUnwrap(r.series.first, e.name)
            let positions = try XCTUnwrap(e.positions?.compactMap { $0 }, e.name)
            let o = try XCTUnwrap(e.orientation, e.name)
            let rowDir = Vector3(o[0], o[1], o[2]), colDir = Vector3(o[3], o[4], o[5])
            let normal = rowDir.cross(colDir)
            let sorted = positions.sorted { normal.dot(Vector3($0[0], $0[1], $0[2])) < normal.dot(Vector3($1[0], $1[1], $1[2])) }
            XCTAssertEqual(s.geometry.origin, Vector3(sorted[0][0], sorted[0][1], sorted[0][2]), e.name)
            XCTAssertEqual(s.geometry.rowDirection.x, rowDir.normalized.x, accuracy: 1e-12, e.name)
            XCTAssertEqual(s.geometry.columnDirection.z, colDir.normalized.z, accuracy: 1e-12, e.name)
            let spacing = try XCTUnwrap(e.pixel_spacing, e.name)
            XCTAssertEqual([s.geometry.rowSpacing, s.geometry.columnSpacing], spacing, e.name)
            XCTAssertEqual(s.geometry.slices, positions.count, e.name)
            if positions.count > 1 {
                let a = Vector3(sorted[0][0], sorted[0][1], sorted[0][2])
                let b = Vector3(sorted[1][0], sorted[1][1], sorted[1][2])
                XCTAssertEqual(s.geometry.sliceSpacing, abs((b - a).dot(normal.normalized)), accuracy: 1e-9, e.name)
            }
        }
    }

    func testEnhancedCTUsesPerFrameFunctionalGroups() throws {
        let fixtures = try Fixtures.load()
        let e = try XCTUnwrap(fixtures.entry(named: "eCT_Supplemental.dcm"))
        let r = SeriesReader.read(paths: [fixtures.path(e)])
        let s = try XCTUnwrap(r.series.first)
        XCTAssertEqual(s.geometry.slices, 2)
        XCTAssertEqual(s.geometry.sliceSpacing, 10, accuracy: 1e-9) // z −159 → −149 in pydicom's reading
        XCTAssertEqual(s.frames.map(\.rescale.intercept), try XCTUnwrap(e.rescale).map { $0[1] })
        XCTAssertEqual(s.geometry.rowDirection, Vector3(-1, 0, 0))
    }

    func testPaddingIsExcludedFromStatistics() throws {
        let fixtures = try Fixtures.load()
        let padded = fixtures.manifest.files.filter { $0.kind == "image" && $0.padding != nil }
        XCTAssertGreaterThanOrEqual(padded.count, 3)
        var sawExclusion = false
        for e in padded {
            let file = try DicomFile(path: fixtures.path(e))
            let frames = try HeaderReader.frames(of: file)
            let g = VolumeGeometry(columns: frames[0].columns, rows: frames[0].rows, slices: frames.count,
                                   columnSpacing: 1, rowSpacing: 1, origin: .zero, rowDirection: Vector3(1, 0, 0),
                                   columnDirection: Vector3(0, 1, 0), sliceStep: Vector3(0, 0, 1))
            var stored: [Int32] = []
            for f in frames { stored += try file.decodeFrame(f.frameIndex) }
            let v = Volume(geometry: g, stored: stored, rescale: frames.map(\.rescale), padding: frames[0].padding)
            let stats = v.statistics()
            XCTAssertEqual(stats.count, e.hu_count, e.name)
            XCTAssertEqual(stats.mean, try XCTUnwrap(e.hu_mean), accuracy: 1e-9 * max(1, abs(e.hu_mean ?? 0)), e.name)
            XCTAssertEqual(stats.min, e.hu_min, e.name)
            XCTAssertEqual(stats.max, e.hu_max, e.name)
            if stats.count < g.voxelCount { sawExclusion = true }
        }
        XCTAssertTrue(sawExclusion, "at least one fixture has padding voxels to exclude")
    }

    func testScannerIdentityAndProtocolAreCarried() throws {
        let fixtures = try Fixtures.load()
        let e = try XCTUnwrap(fixtures.entry(named: "CT_small.dcm"))
        let s = try XCTUnwrap(SeriesReader.read(paths: [fixtures.path(e)]).series.first)
        // Values as dcmdump prints them for CT_small.
        XCTAssertEqual(s.scanner.manufacturer, "GE MEDICAL SYSTEMS")
        XCTAssertEqual(s.scanner.model, "RHAPSODE")
        XCTAssertEqual(s.scanner.stationName, "CT01_OC0")
        XCTAssertEqual(s.acquisition.kvp, 120)
        XCTAssertEqual(s.acquisition.kernel, "STANDARD")
        XCTAssertEqual(s.acquisition.exposureMAs, 170)
    }
}

/// A 40-frame enhanced CT written by pydicom (Scripts/make_multiframe.py):
/// frames stored in a scrambled order of positions, with alternating
/// per-frame intercepts.
final class EnhancedMultiFrameTests: XCTestCase {
    func testFramesAreOrderedAndRescaledFromTheirOwnFunctionalGroups() throws {
        let fixtures = try Fixtures.load()
        let e = try XCTUnwrap(fixtures.entry(named: "enhanced_ct_40.dcm"))
        let r = SeriesReader.read(paths: [fixtures.path(e)])
        let s = try XCTUnwrap(r.series.first)
        let v = try XCTUnwrap(r.volumes.first)
        XCTAssertEqual(s.geometry.slices, 40)
        XCTAssertEqual(s.geometry.sliceSpacing, 2.5, accuracy: 1e-9)
        XCTAssertEqual(s.problems, [])
        // Expected order from pydicom's positions: ascending along the normal
        // (row × column cosines; here (0, 0, −1), so descending z).
        let o = try XCTUnwrap(e.orientation)
        let normal = Vector3(o[0], o[1], o[2]).cross(Vector3(o[3], o[4], o[5]))
        let positions = try XCTUnwrap(e.positions).map { p -> Vector3 in
            let p = p ?? []
            return Vector3(p[0], p[1], p[2])
        }
        let order = positions.indices.sorted { normal.dot(positions[$0]) < normal.dot(positions[$1]) }
        XCTAssertEqual(s.frames.map(\.frameIndex), order)
        XCTAssertEqual(s.geometry.origin, positions[order[0]])
        let reference = try fixtures.referenceHU(e)
        let n = s.geometry.voxelsPerSlice
        var mismatched = 0
        for (k, frame) in order.enumerated() {
            for i in 0..<n where v.hu(at: k * n + i).bitPattern != reference[frame * n + i].bitPattern {
                mismatched += 1
            }
            XCTAssertEqual(v.rescale[k].intercept, frame % 2 == 0 ? -1024 : -1000)
        }
        XCTAssertEqual(mismatched, 0, "voxels differing from pydicom's HU of the same frame")
    }
}
