import Foundation
import QCTCore
import QCTPhantoms
import QCTTestSupport
import XCTest
@testable import QCTCalibration

/// Vertebrae found by their anatomy on spines drawn here, independently of
/// qct's simulator: a shell around a trabecular body, pedicles, a lamina
/// and a spinous process around a canal, a tilt, either z direction. Truth is
/// the trabecular CT number drawn; the ROI mean must match it, and the ROI
/// must hold trabecular bone only.
final class VertebraAnatomyTests: XCTestCase {
    struct Spine {
        var semiAxes = (a: 20.0, b: 15.0)
        var shell = 1.5
        var height = 26.0
        var gap = 8.0
        var trabecularHU = [45.0, 90.0, 180.0]  // L1, L2, L3
        var cortexHU = 700.0
        var tiltPerMM = (x: 0.0, y: 0.0)
        var feetFirst = false
        var posterior = true
        var noise = 8.0
        var pixelMM = 0.8
        var sliceMM = 1.25
        /// Uniform rods along the whole scan (x, y, radius mm, HU): calibration rods as wide as a body.
        var rods: [(x: Double, y: Double, r: Double, hu: Double)] = []
    }

    static let catalog = PhantomCatalog.load(directories: [TestRepository.phantoms.path])

    /// HU at (x, y, z) mm of the drawn spine (body centre at the origin of each vertebra's level).
    static func hu(_ s: Spine, x: Double, y: Double, z: Double) -> Double {
        if (x / 95) * (x / 95) + (y / 85) * (y / 85) > 1 { return -1000 }
        for rod in s.rods where (x - rod.x) * (x - rod.x) + (y - rod.y) * (y - rod.y) <= rod.r * rod.r { return rod.hu }
        let pitch = s.height + s.gap
        let cx = s.tiltPerMM.x * z, cy = -10 + s.tiltPerMM.y * z
        for k in 0..<3 {
            let order = s.feetFirst ? Double(2 - k) : Double(k)
            let zc = (order - 1) * pitch
            guard abs(z - zc) <= s.height / 2 else { continue }
            let dx = x - cx, dy = y - cy
            let (a, b) = s.semiAxes
            let outer = (dx / (a + s.shell)) * (dx / (a + s.shell)) + (dy / (b + s.shell)) * (dy / (b + s.shell))
            if outer <= 1 {
                let inner = (dx / a) * (dx / a) + (dy / b) * (dy / b)
                return inner <= 1 && abs(z - zc) <= s.height / 2 - s.shell ? s.trabecularHU[k] : s.cortexHU
            }
            guard s.posterior, abs(z - zc) <= s.height * 0.35 else { return 0 }
            let back = b + s.shell
            // Pedicles 7 mm wide either side of a 16 mm canal, 8 mm long; lamina 6 mm; spinous process 7 × 22 mm.
            if abs(dx) >= 8, abs(dx) <= 15, dy >= back - 4, dy <= back + 8 { return s.cortexHU }
            if abs(dx) <= 15, dy >= back + 8, dy <= back + 14 { return s.cortexHU }
            if abs(dx) <= 3.5, dy >= back + 14, dy <= back + 36 { return s.cortexHU }
            return 0
        }
        return 0
    }

    /// The spine as a volume: 2 × 2 in-plane and 3 z sub-samples per voxel near the spine (partial volume), Gaussian noise.
    static func volume(_ s: Spine, seed: UInt64 = 1) -> Volume {
        let n = Int((200 / s.pixelMM).rounded())
        let span = 3 * s.height + 2 * s.gap + 16
        let slices = Int((span / s.sliceMM).rounded(.up))
        let g = VolumeGeometry(columns: n, rows: n, slices: slices, columnSpacing: s.pixelMM, rowSpacing: s.pixelMM,
                               origin: Vector3(-Double(n) * s.pixelMM / 2, -Double(n) * s.pixelMM / 2, -span / 2),
                               rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(0, 1, 0), sliceStep: Vector3(0, 0, s.sliceMM))
        var stored = [Int32](repeating: 0, count: n * n * slices)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        for k in 0..<slices {
            let z0 = g.position(column: 0, row: 0, slice: Double(k)).z
            for j in 0..<n {
                for i in 0..<n {
                    let p = g.position(column: Double(i), row: Double(j), slice: Double(k))
                    var sum = 0.0
                    // Far from the spine a single sample suffices.
                    if abs(p.x) > 55 || p.y < -45 || p.y > 70 {
                        sum = hu(s, x: p.x, y: p.y, z: z0) * 12
                    } else {
                        for a in 0..<2 { for b in 0..<2 { for c in 0..<3 {
                            sum += hu(s, x: p.x + (Double(a) - 0.5) * s.pixelMM / 2, y: p.y + (Double(b) - 0.5) * s.pixelMM / 2,
                                      z: z0 + (Double(c) - 1) * s.sliceMM / 3)
                        } } }
                    }
                    var value = sum / 12
                    if s.noise > 0 { value += s.noise * (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
                    stored[(k * n + j) * n + i] = Int32((value + 1024).rounded())
                }
            }
        }
        return Volume(geometry: g, stored: stored, rescale: Array(repeating: Rescale(slope: 1, intercept: -1024), count: slices), padding: nil)
    }

    func measure(_ s: Spine, settings: VertebraSearchSettings = VertebraSearchSettings()) throws -> SpineMeasurer.Result {
        let esp = try XCTUnwrap(Self.catalog.phantoms["esp"])
        let v = Self.volume(s)
        return SpineMeasurer.measure(v, phantom: esp, certificate: Self.catalog.certificate(for: "esp"), fit: nil,
                                     sliceThicknessMM: s.sliceMM, settings: settings)
    }

    /// Every vertebra found, named by its density, read within 1 HU of its drawn CT number, homogeneous.
    func assertReadsTruth(_ s: Spine, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try measure(s)
        XCTAssertEqual(r.vertebrae.count, 3, label, file: file, line: line)
        for (k, v) in r.vertebrae.enumerated() {
            XCTAssertEqual(v.name, ["L1", "L2", "L3"][k], label, file: file, line: line)
            let mean = try XCTUnwrap(v.meanHU, "\(label) \(v.name): \(v.missing ?? "")", file: file, line: line)
            XCTAssertEqual(mean, s.trabecularHU[k], accuracy: 1.0, "\(label) \(v.name)", file: file, line: line)
            XCTAssertEqual(v.homogeneity?.pass, true, "\(label) \(v.name): \(v.homogeneity?.reason ?? "")", file: file, line: line)
            XCTAssertLessThan(v.sdHU ?? .infinity, s.noise * 1.3 + 2, "\(label) \(v.name)", file: file, line: line)
            XCTAssertGreaterThan(v.voxels, 2000, label, file: file, line: line)
        }
    }

    func testVertebraWithPosteriorArchAndCanal() throws {
        try assertReadsTruth(Spine(), "posterior arch")
    }

    func testHalfMillimetreShell() throws {
        var s = Spine()
        s.shell = 0.5
        s.semiAxes = (16, 15)
        try assertReadsTruth(s, "0.5 mm shell")
    }

    func testFeetFirstSeries() throws {
        var s = Spine()
        s.feetFirst = true
        s.semiAxes = (28, 22)
        s.gap = 4
        try assertReadsTruth(s, "feet-first")
    }

    func testTiltedSpine() throws {
        var s = Spine()
        s.tiltPerMM = (tan(10 * Double.pi / 180), tan(-10 * Double.pi / 180))
        let r = try measure(s)
        for v in r.vertebrae {
            XCTAssertEqual(v.meanHU ?? .nan, s.trabecularHU[["L1", "L2", "L3"].firstIndex(of: v.name)!], accuracy: 1.0, v.name)
            XCTAssertEqual(v.homogeneity?.pass, true, v.homogeneity?.reason ?? "")
            let tilt = try XCTUnwrap(v.roi?.tiltDegrees)
            XCTAssertEqual(tilt[0], 10, accuracy: 2, v.name)
            XCTAssertEqual(tilt[1], -10, accuracy: 2, v.name)
        }
    }

    /// Rods as wide and as round as the bodies, and longer than the whole spine, do not pass for it:
    /// the spine is the column that breaks into bodies of vertebral height.
    func testRodsAsWideAsBodiesAreNotTakenForTheSpine() throws {
        var s = Spine()
        s.semiAxes = (15, 15)
        s.rods = [(-48, 60, 17, 150), (0, 60, 17, 260), (48, 60, 17, 380)]
        try assertReadsTruth(s, "rods beside the spine")
    }

    func testThickSlicesWithPartialVolume() throws {
        var s = Spine()
        s.sliceMM = 5
        s.gap = 12
        try assertReadsTruth(s, "5 mm slices")
    }

    /// An ROI that takes in cortex fails its check: here the erosion is negative in effect —
    /// the ROI is the whole body, shell included.
    func testROITouchingCortexFailsItsCheck() throws {
        let s = Spine()
        let v = Self.volume(s)
        let esp = try XCTUnwrap(Self.catalog.phantoms["esp"])
        let search = VertebraLocator.locate(v, phantom: esp)
        let mid = try XCTUnwrap(search.segments.sorted { $0.midSlice < $1.midSlice }.first)
        // Every voxel of the middle slice within the outer shell ellipse of L1 (shell included).
        let g = v.geometry
        let k = Int(mid.midSlice.rounded())
        var values: [Double] = []
        for j in 0..<g.rows {
            for i in 0..<g.columns {
                let p = g.position(column: Double(i), row: Double(j), slice: Double(k))
                let dx = p.x / (s.semiAxes.a + s.shell), dy = (p.y + 10) / (s.semiAxes.b + s.shell)
                if dx * dx + dy * dy <= 1 { values.append(v.hu(column: i, row: j, slice: k)) }
            }
        }
        var sorted = values
        let stats = ROIStatistics(&sorted)
        let h = Homogeneity.judge(values: sorted, stats: stats, settings: VertebraSearchSettings())
        XCTAssertFalse(h.pass, "an ROI with the shell in it passed: SD \(stats.sd), robust \(h.robustSDHU)")
        XCTAssertNotNil(h.reason)
        // A vertebra whose ROI fails is named in a failing check.
        var reading = VertebraReading(name: "L1", nominal: 50, voxels: stats.count, sliceRange: [k, k])
        reading.meanHU = stats.mean
        reading.homogeneity = h
        let checks = SpineMeasurer.checks([reading], fit: nil)
        let check = try XCTUnwrap(checks.first { $0.name == "ROI homogeneity" })
        XCTAssertEqual(check.status, .fail)
        XCTAssertTrue(check.detail.contains("L1"), check.detail)
    }
}
