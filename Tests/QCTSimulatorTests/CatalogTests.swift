import Foundation
import QCTPhantoms
import QCTPhysics
import QCTTestSupport
import XCTest

/// Every file in Phantoms/ loads and validates; bad files are named with their field.
final class CatalogTests: XCTestCase {
    static let phantoms = TestRepository.phantoms.path

    func testEveryShippedFileIsValid() throws {
        let c = PhantomCatalog.load(directories: [Self.phantoms])
        XCTAssertEqual(c.errors, [])
        XCTAssertEqual(Set(c.phantoms.keys), ["mindways-model3-ct", "mindways-qa", "esp", "qrm-bdc-3", "qrm-bdc-6", "catphan504-ctp404", "patient-abdomen"])
        XCTAssertEqual(Set(c.scanners.keys), ["QCT1", "QCT2", "QCT3"])
        XCTAssertEqual(Set(c.scenes.keys), ["esp-on-pad", "pad", "qa", "catphan", "qrm-bdc-3", "qrm-bdc-6", "patient", "patient-on-pad"])
        // The patient policy, and the simulated patient's anatomy with its ICRU-44 tissues.
        XCTAssertNotNil(c.patientPolicy)
        XCTAssertEqual(c.phantoms["patient-abdomen"]?.anatomy?.vertebrae, ["T12", "L1", "L2", "L3", "L4"])
        for m in ["adipose-icru44", "muscle-icru44", "blood-icru44", "cortical-bone-icru44"] { XCTAssertNotNil(c.materials[m], m) }
        for p in c.phantoms.values where p.calibration != .none || !p.certificateQuantities.isEmpty {
            XCTAssertNotNil(c.certificate(for: p.id), "\(p.id) ships an example certificate")
        }
        // The domain reference's certificate, as shipped.
        let cert = try XCTUnwrap(c.certificate(for: "mindways-model3-ct", serial: "4541A/4560"))
        XCTAssertEqual(cert.value(insert: "E", quantity: "K2HPO4"), 375.83)
        XCTAssertEqual(cert.value(insert: "A", quantity: "water"), 1012.25)
    }

    func testBadFilesAreNamedWithTheirField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qct-cat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Self.phantoms + "/materials.json", toPath: dir.path + "/materials.json")
        try FileManager.default.copyItem(atPath: Self.phantoms + "/mindways-model3-ct.json", toPath: dir.path + "/mindways-model3-ct.json")
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        try write("no-id.json", #"{"schema": "qct-phantom/1", "name": "x"}"#)
        try write("bad-radius.json", """
            {"schema": "qct-phantom/1", "id": "p", "name": "p", "calibration": "linear", "certificateQuantities": ["HA"],
             "body": {"shape": {"kind": "cylinder", "center": [0, 0], "radius": 50, "z": [-5, 5]}, "composition": {"material": "water"}},
             "inserts": [{"name": "r", "role": "rod", "shape": {"kind": "cylinder", "center": [0, 0], "radius": -1, "z": [-5, 5]},
                          "composition": {"material": "unobtainium"}}],
             "positionToleranceMM": 5, "sources": []}
            """)
        try write("cert.json", """
            {"schema": "qct-certificate/1", "phantom": "mindways-model3-ct", "serial": "X", "source": "test",
             "values": {"A": {"K2HPO4": 1, "water": 1000}}}
            """)
        try write("notjson.json", "{ nope")
        try write("other.json", #"{"schema": "something/9"}"#)
        let c = PhantomCatalog.load(directories: [dir.path])
        let text = c.errors.map(\.description)
        func has(_ file: String, _ fragment: String) -> Bool {
            text.contains { $0.contains(file) && $0.contains(fragment) }
        }
        XCTAssertTrue(has("no-id.json", "field id: missing"), "\(text)")
        XCTAssertTrue(has("bad-radius.json", "field inserts[0].shape.radius"), "\(text)")
        XCTAssertTrue(has("bad-radius.json", "field inserts[0].composition.material: unknown material \"unobtainium\""), "\(text)")
        XCTAssertTrue(has("cert.json", "field values.B.K2HPO4: missing"), "\(text)")
        XCTAssertTrue(has("notjson.json", "not valid JSON"), "\(text)")
        XCTAssertTrue(has("other.json", "field schema: unknown schema"), "\(text)")
        // The good phantom is still there; the broken ones are not.
        XCTAssertNotNil(c.phantoms["mindways-model3-ct"])
        XCTAssertNil(c.phantoms["p"])
        XCTAssertTrue(c.certificates.isEmpty)
    }

    func testPhysicsAgainstHandValues() throws {
        // Water is 0 HU and air −1000 HU by definition, at any energy.
        let s = try HounsfieldScale(energyKeV: 70)
        XCTAssertEqual(try s.hu(Materials.water), 0, accuracy: 1e-9)
        XCTAssertEqual(try s.hu(Materials.air), -1000, accuracy: 1e-9)
        // Formula parsing: hydroxyapatite Ca10(PO4)6(OH)2 has 10 Ca, 6 P, 26 O, 2 H.
        XCTAssertEqual(try ChemicalFormula.atoms("Ca10(PO4)6(OH)2"), ["Ca": 10, "P": 6, "O": 26, "H": 2])
        // μ/ρ of water at 60 keV from the table: 0.2059 cm²/g (xraydb, as printed when the table was generated).
        XCTAssertEqual(try Materials.water.massAttenuation(energyKeV: 60), 0.20587, accuracy: 2e-4)
        // Between grid points, log-log interpolation stays between the neighbours.
        let a = try XCTUnwrap(AttenuationTable.massAttenuation("Ca", energyKeV: 60))
        let b = try XCTUnwrap(AttenuationTable.massAttenuation("Ca", energyKeV: 61))
        let m = try XCTUnwrap(AttenuationTable.massAttenuation("Ca", energyKeV: 60.5))
        XCTAssertTrue(m < a && m > b)
    }
}
