import QCTCore
import XCTest

/// ISO 8601 dates only: what a physicist types by mistake is refused, not stored.
final class ISODateTimeTests: XCTestCase {
    func testValidFormsNormalise() {
        XCTAssertEqual(ISODateTime.normalised("2026-02-25"), "2026-02-25T00:00:00")
        XCTAssertEqual(ISODateTime.normalised("2026-02-25T07:30"), "2026-02-25T07:30:00")
        XCTAssertEqual(ISODateTime.normalised("2026-02-25 07:30:15"), "2026-02-25T07:30:15")
        XCTAssertEqual(ISODateTime.normalised("2024-02-29"), "2024-02-29T00:00:00")  // leap year
        XCTAssertEqual(ISODateTime.normalised("2000-02-29"), "2000-02-29T00:00:00")  // divisible by 400
    }

    func testEverythingElseIsRefused() {
        for bad in ["25/02/2026", "next tuesday", "2026-13-45", "2026-02-30", "2025-02-29", "1900-02-29", "2026-2-5",
                    "2026-02-25T24:00", "2026-02-25T12:60", "2026-02-25T12:00:61", "20260225", "", "2026-02-25T", "2026-02-25X07:30"] {
            XCTAssertNil(ISODateTime.normalised(bad), bad)
        }
    }
}
