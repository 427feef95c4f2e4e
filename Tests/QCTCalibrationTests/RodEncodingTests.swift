import Foundation
import QCTCalibration
import XCTest

/// A rod whose ROI holds no voxel (placed from the template outside the image) has no statistics:
/// its JSON says null, never NaN (JSONEncoder refused the whole report before, found by the
/// whole-series mutation test), and reading the JSON back gives an unknown value again.
final class RodEncodingTests: XCTestCase {
    func testAnEmptyROIIsWrittenAsNullAndReadBack() throws {
        let rod = CalibratedRod(name: "A", centerMM: [-254.5, -140.8, 0], roiRadiusMM: 6, meanHU: .nan, medianHU: .nan,
                                sdHU: .nan, voxels: 0, sliceRange: [0, 3], located: .template, residualHU: .infinity)
        let data = try JSONEncoder().encode(rod)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["meanHU", "medianHU", "sdHU"] { XCTAssertTrue(object[key] is NSNull, key) }
        XCTAssertNil(object["residualHU"])
        XCTAssertEqual(object["voxels"] as? Int, 0)
        let back = try JSONDecoder().decode(CalibratedRod.self, from: data)
        XCTAssertTrue(back.meanHU.isNaN && back.medianHU.isNaN && back.sdHU.isNaN)
        XCTAssertNil(back.residualHU)

        let measured = CalibratedRod(name: "B", centerMM: [0, 0, 0], roiRadiusMM: 6, meanHU: 101.25, medianHU: 101,
                                     sdHU: 9.5, voxels: 64, sliceRange: [0, 3], located: .detected, residualHU: -0.5)
        let again = try JSONDecoder().decode(CalibratedRod.self, from: try JSONEncoder().encode(measured))
        XCTAssertEqual(again, measured)
    }
}
