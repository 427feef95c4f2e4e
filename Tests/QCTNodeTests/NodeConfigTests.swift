import Foundation
import QCTNode
import XCTest

/// The node's TOML configuration, the inbox's names and when a series is complete.
final class NodeConfigTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qct-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("node.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func testTheExampleConfigurationReadsEveryKey() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/qct-node.toml").path
        let c = try NodeConfigFile.load(example)
        XCTAssertEqual(c.db, "/var/lib/qct/qc.sqlite")
        XCTAssertEqual(c.dicomPort, 11112)
        XCTAssertEqual(c.aeTitle, "QCT")
        XCTAssertEqual(c.dicomBind, "0.0.0.0")
        XCTAssertEqual(c.allow, ["CT_ROOM1@10.1.2.3", "CT_ROOM2@10.1.2.4"])
        XCTAssertEqual(c.httpPort, 8080)
        XCTAssertEqual(c.stableAfter, 30)
        XCTAssertNil(c.watch)
        XCTAssertEqual(c.baselineSize, 15)
        XCTAssertEqual(c.cusumH, 5)
        XCTAssertEqual(c.phantoms, ["/usr/local/share/qct/Phantoms"])
        XCTAssertNil(c.patients, "the example's patient intake is commented out")
    }

    func testRelativePathsAreTakenFromTheFilesFolder() throws {
        let path = try write("db = \"qc.sqlite\"\n[inbox]\npath = \"in\"\nstable_after = 2.5\n")
        let c = try NodeConfigFile.load(path)
        let folder = (path as NSString).deletingLastPathComponent
        XCTAssertEqual(c.db, folder + "/qc.sqlite")
        XCTAssertEqual(c.inbox, folder + "/in")
        XCTAssertEqual(c.stableAfter, 2.5)
        // A PostgreSQL URL is a server, not a path: kept as written.
        let url = try NodeConfigFile.load(try write("db = \"postgresql://site_a@db.example.org:5432/qct\"\n"))
        XCTAssertEqual(url.db, "postgresql://site_a@db.example.org:5432/qct")
    }

    /// `[patients]`: the patient intake's keys, paths from the file's folder, flags over the file, and
    /// a calibration the node does not offer refused by name before it starts.
    func testThePatientIntakeSettings() throws {
        let path = try write("db = \"qc.sqlite\"\n[patients]\ndatabase = \"patients.sqlite\"\ncalibration = \"internal\"\nmax_age_days = 3\nreports = \"spine\"\n")
        let folder = (path as NSString).deletingLastPathComponent
        let c = try NodeConfigFile.load(path)
        XCTAssertEqual(c.patients, folder + "/patients.sqlite")
        XCTAssertEqual(c.patientCalibration, "internal")
        XCTAssertEqual(c.patientMaxAgeDays, 3)
        XCTAssertEqual(c.patientReports, folder + "/spine")
        var flags = NodeFlags()
        flags.config = path
        flags.patientCalibration = "history"
        let settings = try NodeLaunch(flags).settings(storePath: folder + "/qc.sqlite")
        XCTAssertEqual(settings.patients?.database, folder + "/patients.sqlite")
        XCTAssertEqual(settings.patients?.calibration, "history", "the flag wins")
        XCTAssertEqual(settings.patients?.maxAgeDays, 3)
        XCTAssertNil(try NodeLaunch(NodeFlags()).settings(storePath: folder + "/qc.sqlite").patients, "no intake unless asked")
        flags.patientCalibration = "phantomless"
        XCTAssertThrowsError(try NodeLaunch(flags).settings(storePath: folder + "/qc.sqlite")) { error in
            XCTAssertTrue("\(error)".contains("patient-calibration must be history, internal or same-scan"), "\(error)")
        }
    }

    func testAMisspeltKeyOrAWrongTypeIsRefusedByName() throws {
        for (text, expected) in [("[dicom]\nprot = 104\n", "unknown setting dicom.prot"),
                                 ("[dicom]\nport = \"104\"\n", "dicom.port must be an integer 0…65535"),
                                 ("[dicom]\nport = 70000\n", "dicom.port must be an integer 0…65535"),
                                 ("[inbox]\nstable_after = -1\n", "inbox.stable_after must be a number ≥ 0"),
                                 ("database = \"x\"\n", "unknown setting database"),
                                 ("[patients]\ndb = \"p.sqlite\"\n", "unknown setting patients.db"),
                                 ("[patients]\nmax_age_days = \"7\"\n", "patients.max_age_days must be a number ≥ 0"),
                                 ("[dicom]\nallow = [\"A\", 3]\n", "dicom.allow must be an array of strings"),
                                 ("[dicom\nport = 1\n", "not TOML")] {
            let path = try write(text)
            XCTAssertThrowsError(try NodeConfigFile.load(path), text) { error in
                XCTAssertTrue("\(error)".contains(path), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
    }

    func testNoValueFromAFileCanNameAPathOutsideTheInbox() {
        XCTAssertEqual(InboxLayout.safeName("1.2.840.113619.2.55"), "1.2.840.113619.2.55")
        for hostile in ["../../etc", "..", "/tmp/x", "", "1.2/3", ".1.2", String(repeating: "1", count: 65)] {
            let name = InboxLayout.safeName(hostile)
            XCTAssertTrue(name.hasPrefix("x") && name.dropFirst().allSatisfy(\.isHexDigit), "\(hostile) → \(name)")
        }
        XCTAssertNotEqual(InboxLayout.safeName("../a"), InboxLayout.safeName("../b"))
    }

    func testAllowEntries() throws {
        XCTAssertEqual(try NodeSettings.allowEntry("CT1").aeTitle, "CT1")
        XCTAssertNil(try NodeSettings.allowEntry("CT1").host)
        XCTAssertEqual(try NodeSettings.allowEntry("CT1@localhost").host, "127.0.0.1")
        XCTAssertEqual(try NodeSettings.allowEntry("CT1@10.0.0.7").host, "10.0.0.7")
        XCTAssertThrowsError(try NodeSettings.allowEntry("CT1@scanner.example"))
        XCTAssertThrowsError(try NodeSettings.allowEntry(String(repeating: "A", count: 17)))
        XCTAssertThrowsError(try NodeSettings.allowEntry("@10.0.0.7"))
    }
}
