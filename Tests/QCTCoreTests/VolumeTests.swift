import QCTCore
import XCTest

final class VolumeTests: XCTestCase {
    func geometry(slices: Int) -> VolumeGeometry {
        VolumeGeometry(columns: 4, rows: 3, slices: slices, columnSpacing: 0.5, rowSpacing: 0.75,
                       origin: Vector3(-10, 20, 30), rowDirection: Vector3(1, 0, 0),
                       columnDirection: Vector3(0, 1, 0), sliceStep: Vector3(0, 0, 2.5))
    }

    func testVoxelPositionFollowsTheDICOMConvention() {
        // Column index moves along the row direction by the column spacing (Pixel Spacing[1]).
        let g = geometry(slices: 2)
        XCTAssertEqual(g.position(column: 2, row: 1, slice: 1), Vector3(-10 + 2 * 0.5, 20 + 0.75, 32.5))
        XCTAssertEqual(g.sliceSpacing, 2.5)
        XCTAssertEqual(g.normal, Vector3(0, 0, 1))
    }

    func testHUUsesEachSlicesOwnRescale() {
        let stored: [Int32] = Array(0..<24).map { Int32($0) }
        let v = Volume(geometry: geometry(slices: 2), stored: stored,
                       rescale: [Rescale(slope: 1, intercept: -1024), Rescale(slope: 0.5, intercept: -1000)],
                       padding: nil)
        XCTAssertEqual(v.hu(at: 11), 11 - 1024)
        XCTAssertEqual(v.hu(at: 12), 6 - 1000)
        XCTAssertEqual(v.hu(column: 3, row: 2, slice: 1), 23 * 0.5 - 1000)
    }

    func testStatisticsMatchATwoPassComputationAndSkipPadding() {
        var rng = SystemRandomNumberGenerator()
        let stored: [Int32] = (0..<24).map { _ in Int32.random(in: -2000...3000, using: &rng) }
        var withPad = stored
        withPad[5] = -3000
        withPad[17] = -3000
        let v = Volume(geometry: geometry(slices: 2), stored: withPad,
                       rescale: [Rescale(slope: 1, intercept: -1024), Rescale(slope: 1, intercept: -1024)],
                       padding: PaddingRange(-3000, -3000))
        let kept = withPad.enumerated().filter { $0.offset != 5 && $0.offset != 17 }.map { Double($0.element) - 1024 }
        let mean = kept.reduce(0, +) / Double(kept.count)
        let sd = (kept.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(kept.count - 1)).squareRoot()
        let s = v.statistics()
        XCTAssertEqual(s.count, 22)
        XCTAssertEqual(s.mean, mean, accuracy: 1e-9)
        XCTAssertEqual(s.sd, sd, accuracy: 1e-9)
        XCTAssertEqual(s.min, kept.min())
        XCTAssertEqual(s.max, kept.max())
    }

    func testPaddingRangeIsInclusiveInEitherOrder() {
        let p = PaddingRange(-1000, -2000)
        XCTAssertTrue(p.contains(-2000))
        XCTAssertTrue(p.contains(-1000))
        XCTAssertFalse(p.contains(-999))
    }

    func testAngleBetweenDirections() {
        XCTAssertEqual(Vector3(0, 0, 1).angleDegrees(to: Vector3(0, 1, 1)), 45, accuracy: 1e-12)
        XCTAssertEqual(Vector3(1, 0, 0).angleDegrees(to: Vector3(-2, 0, 0)), 180, accuracy: 1e-12)
    }
}

/// A volume keeps the width its values need: 16 bits for CT, 32 only when they do not fit.
final class VoxelSamplesTests: XCTestCase {
    func testTheNarrowestWidthHoldingTheSlicesIsChosen() {
        typealias W = VoxelSamples.Width
        XCTAssertEqual(W.holding([(12, false)]), .int16)
        XCTAssertEqual(W.holding([(16, true), (14, true)]), .int16)
        XCTAssertEqual(W.holding([(16, false)]), .uint16)
        XCTAssertEqual(W.holding([(16, false), (12, true)]), .int32, "unsigned 16-bit and signed need 32 bits together")
        XCTAssertEqual(W.holding([(15, false), (16, true)]), .int16)
        XCTAssertEqual(W.holding([(20, true)]), .int32)
    }

    func testNarrowingKeepsEveryValueAndItsWidth() {
        let cases: [([Int32], VoxelSamples.Width)] = [([-32768, 0, 32767], .int16), ([0, 65535], .uint16), ([-1, 65535], .int32), ([70000], .int32)]
        for (values, width) in cases {
            let s = VoxelSamples(narrowing: values)
            XCTAssertEqual(s.width, width, "\(values)")
            XCTAssertEqual(s.int32(), values)
            XCTAssertEqual(s.byteCount, values.count * width.size)
        }
    }

    func testAVolumeOfSixteenBitValuesTakesTwoBytesPerVoxelAndGivesTheSameHU() {
        let g = VolumeGeometry(columns: 3, rows: 2, slices: 2, columnSpacing: 1, rowSpacing: 1, origin: Vector3(0, 0, 0),
                               rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(0, 1, 0), sliceStep: Vector3(0, 0, 1))
        let stored: [Int32] = [-2000, 0, 1, 1024, 3071, -1024, 5, 6, 7, 8, 9, 10]
        let v = Volume(geometry: g, stored: stored, rescale: [Rescale(slope: 1, intercept: -1024), Rescale(slope: 2, intercept: 0.5)], padding: PaddingRange(-2000, -2000))
        XCTAssertEqual(v.samples.width, .int16)
        XCTAssertEqual(v.samples.byteCount, 24)
        for i in 0..<12 {
            XCTAssertEqual(v.hu(at: i), Double(stored[i]) * (i < 6 ? 1 : 2) + (i < 6 ? -1024 : 0.5))
        }
        XCTAssertTrue(v.isPadding(at: 0))
        XCTAssertFalse(v.isPadding(at: 1))
    }
}
