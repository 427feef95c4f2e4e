import Foundation
import QCTCore
import XCTest

@testable import QCTDICOM

/// qct's HU against pydicom's, file by file, on pydicom's own test data.
final class HUParityTests: XCTestCase {
    /// Files pydicom decodes as one-sample images that qct deliberately refuses,
    /// with the reason qct must give.
    static let refusedOnPurpose: [String: String] = [
        // Palette colour: the sample is an index into a colour table, not a measurement.
        "OBXXXX1A.dcm": "PALETTE COLOR", "OBXXXX1A_2frame.dcm": "PALETTE COLOR",
        "OBXXXX1A_expb.dcm": "PALETTE COLOR", "OBXXXX1A_expb_2frame.dcm": "PALETTE COLOR",
        "OBXXXX1A_rle.dcm": "PALETTE COLOR", "OBXXXX1A_rle_2frame.dcm": "PALETTE COLOR",
        "gdcm-US-ALOKA-16.dcm": "PALETTE COLOR", "gdcm-US-ALOKA-16_big.dcm": "PALETTE COLOR",
        "examples_palette.dcm": "PALETTE COLOR",
        // 1-bit segmentations: labels, not HU.
        "liver.dcm": "Bits Allocated 1", "liver_1frame.dcm": "Bits Allocated 1",
        "liver_expb.dcm": "Bits Allocated 1", "liver_expb_1frame.dcm": "Bits Allocated 1",
    ]

    /// Decodes every frame of a file to HU the way the series reader does: at the frame's native
    /// width (16 bits for nearly every image, decoded in place), or with `wide` through 32 bits.
    func qctHU(_ path: String, wide: Bool = false) throws -> [Double] {
        let file = try DicomFile(path: path)
        let frames = try HeaderReader.frames(of: file)
        var hu: [Double] = []
        for f in frames {
            let width: VoxelSamples.Width = wide ? .int32 : .holding([(f.bitsStored, f.signed)])
            let n = f.rows * f.columns
            let samples = try VoxelSamples.make(width, count: n) { raw in try file.decodeFrame(f.frameIndex, into: raw, width: width) }
            hu.append(contentsOf: (0..<n).map { f.rescale.apply(samples[$0]) })
        }
        return hu
    }

    func testEveryLosslessImageMatchesPydicomExactly() throws {
        let fixtures = try Fixtures.load()
        var checked = 0
        for e in fixtures.manifest.files where e.kind == "image" && Self.refusedOnPurpose[e.name] == nil {
            guard !TransferSyntax.lossy.contains(e.transfer_syntax ?? "") else { continue }
            let reference = try fixtures.referenceHU(e)
            let ours: [Double]
            do { ours = try qctHU(fixtures.path(e)) } catch {
                XCTFail("\(e.name): qct refused a file pydicom decodes: \(error)")
                continue
            }
            XCTAssertEqual(ours.count, reference.count, "\(e.name): voxel count")
            guard ours.count == reference.count else { continue }
            let mismatches = zip(ours, reference).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(mismatches, 0, "\(e.name) (\(e.transfer_syntax ?? "?")): \(mismatches) voxels differ from pydicom")
            // The 32-bit path gives the same values bit for bit.
            let wide = try qctHU(fixtures.path(e), wide: true)
            XCTAssertEqual(zip(wide, reference).filter { $0.bitPattern != $1.bitPattern }.count, 0, "\(e.name): 32-bit decoding differs")
            checked += 1
        }
        // pydicom-data and pydicom hold 40+ lossless grey images; all must be compared.
        XCTAssertGreaterThanOrEqual(checked, 40)
    }

    /// The direct float32 load (`VolumeLoader.loadHUFloat32`) against pydicom's float64 HU
    /// rounded to float32, slice by slice, on every lossless image the series reader accepts.
    func testFloat32LoadIsPydicomHURoundedToFloat32() throws {
        let fixtures = try Fixtures.load()
        var checked = 0
        for e in fixtures.manifest.files where e.kind == "image" && Self.refusedOnPurpose[e.name] == nil {
            guard !TransferSyntax.lossy.contains(e.transfer_syntax ?? "") else { continue }
            let read = SeriesReader.read(paths: [fixtures.path(e)], decodePixels: false)
            guard read.series.count == 1, let series = read.series.first else { continue }
            let reference = try fixtures.referenceHU(e)
            guard case .success(let hu) = VolumeLoader.loadHUFloat32(series) else {
                XCTFail("\(e.name): float32 load failed where the header read succeeded")
                continue
            }
            let n = series.geometry.voxelsPerSlice
            XCTAssertEqual(hu.count, series.frames.count * n, e.name)
            var mismatches = 0
            for (k, f) in series.frames.enumerated() where (f.frameIndex + 1) * n <= reference.count {
                for i in 0..<n where hu[k * n + i].bitPattern != Float(reference[f.frameIndex * n + i]).bitPattern { mismatches += 1 }
            }
            XCTAssertEqual(mismatches, 0, "\(e.name): \(mismatches) float32 voxels differ from pydicom's HU as float32")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 30)
    }

    func testLossyImagesMatchPydicomWithinCodecTolerance() throws {
        let fixtures = try Fixtures.load()
        var checked = 0
        for e in fixtures.manifest.files where e.kind == "image" && TransferSyntax.lossy.contains(e.transfer_syntax ?? "") {
            let reference = try fixtures.referenceHU(e)
            let ours = try qctHU(fixtures.path(e))
            XCTAssertEqual(ours.count, reference.count, "\(e.name): voxel count")
            guard ours.count == reference.count, let slope = e.rescale?.first?[0] else { continue }
            let diffs = zip(ours, reference).map { abs($0 - $1) }
            let maxDiff = diffs.max() ?? 0
            let meanDiff = diffs.reduce(0, +) / Double(max(diffs.count, 1))
            // Two conforming decoders of one lossy codestream may differ by rounding
            // in the inverse transform: at most a couple of stored units per voxel, rarely.
            print("lossy parity \(e.name) (\(e.transfer_syntax ?? "?")): max |ΔHU| \(maxDiff), mean \(meanDiff)")
            XCTAssertLessThanOrEqual(maxDiff, 2 * abs(slope), "\(e.name): max |ΔHU| \(maxDiff)")
            XCTAssertLessThanOrEqual(meanDiff, 0.1 * abs(slope), "\(e.name): mean |ΔHU| \(meanDiff)")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5)
    }

    func testJPEG2000LossyAgreesWithItsUncompressedOriginal() throws {
        // 693_J2KI is a lossy encoding of 693_UNCI: the codec's own error stays small.
        let fixtures = try Fixtures.load()
        guard let j2k = fixtures.entry(named: "693_J2KI.dcm"), let unc = fixtures.entry(named: "693_UNCI.dcm") else {
            return XCTFail("693_J2KI / 693_UNCI missing from fixtures")
        }
        let a = try qctHU(fixtures.path(j2k)), b = try qctHU(fixtures.path(unc))
        XCTAssertEqual(a.count, b.count)
        let mean = zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Double(a.count)
        XCTAssertLessThan(mean, 5, "mean |ΔHU| between lossy J2K and its source")
        XCTAssertEqual(a, try qctHU(fixtures.path(j2k)), "decoding is deterministic")
    }

    func testImagesRefusedOnPurposeSayWhy() throws {
        let fixtures = try Fixtures.load()
        for (name, reason) in Self.refusedOnPurpose {
            guard let e = fixtures.entry(named: name) else { XCTFail("\(name) missing"); continue }
            XCTAssertThrowsError(try qctHU(fixtures.path(e)), name) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(name): \(error)")
            }
        }
    }

    func testColourImagesAreRefusedAsColour() throws {
        let fixtures = try Fixtures.load()
        var checked = 0
        for e in fixtures.manifest.files where e.kind == "colour" {
            do {
                _ = try qctHU(fixtures.path(e))
                XCTFail("\(e.name): colour image accepted")
            } catch {
                let text = "\(error)"
                XCTAssertTrue(text.contains("colour image") || text.contains("DICOM file"), "\(e.name): \(text)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 50)
    }
}
