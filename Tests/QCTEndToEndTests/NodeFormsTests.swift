import Foundation
import QCTTestSupport
import XCTest

/// The node receiving what scanners send compressed (RLE, JPEG lossless, JPEG-LS, deflate, big
/// endian, each converted by DCMTK's own encoders and proposed by storescu; JPEG 2000 lossless and
/// lossy from real CT files in the fixtures), then the dashboard's
/// writes: the overlay picture of the latest result, rejection through the API, and signed-in
/// forms that refuse a missing session (401), a missing or foreign CSRF token and a foreign
/// Origin (403), each change audited.
final class NodeFormsTests: XCTestCase {
    /// One HTTP exchange through Python's http.client (no redirect followed, no cookie kept):
    /// status, the Location and Set-Cookie headers, and the body.
    func exchange(_ method: String, _ url: String, form: [String: String]? = nil, headers: [String: String] = [:]) throws
        -> (status: Int, location: String, cookie: String, body: String) {
        let script = """
            import json, sys, http.client, urllib.parse
            method, url, form, headers = sys.argv[1], urllib.parse.urlsplit(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
            body = urllib.parse.urlencode(form) if form is not None else None
            if body is not None: headers["Content-Type"] = "application/x-www-form-urlencoded"
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            c.request(method, url.path + ("?" + url.query if url.query else ""), body=body, headers=headers)
            r = c.getresponse()
            print(json.dumps({"status": r.status, "location": r.getheader("Location") or "", "cookie": r.getheader("Set-Cookie") or "",
                              "body": r.read().decode("utf-8", "replace")}))
            """
        let formJSON = String(decoding: try JSONSerialization.data(withJSONObject: form ?? [:]), as: UTF8.self)
        let r = try QCTRunner.runTool(QCTRunner.python, ["-c", script, method, url, form == nil ? "null" : formJSON,
                                                         String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self)])
        XCTAssertEqual(r.status, 0, r.stderr)
        let j = try QCTRunner.json(r.stdout)
        return (j["status"] as? Int ?? 0, j["location"] as? String ?? "", j["cookie"] as? String ?? "", j["body"] as? String ?? "")
    }

    func testCompressedSeriesAreRecordedAndTheDashboardWritesOnlyThroughSignedInForms() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        // Five pad scans on five days, each converted by a DCMTK encoder and proposed in that syntax.
        let syntaxes: [(name: String, convert: [String], propose: String)] = [
            ("rle", ["/usr/bin/dcmcrle"], "-xr"), ("jpeg-lossless", ["/usr/bin/dcmcjpeg"], "-xs"), ("jpeg-ls", ["/usr/bin/dcmcjpls"], "-xt"),
            ("deflated", ["/usr/bin/dcmconv", "+td"], "-xd"), ("big-endian", ["/usr/bin/dcmconv", "+tb"], "-xb"),
        ]
        for (k, s) in syntaxes.enumerated() {
            let plain = work.appendingPathComponent("plain-\(s.name)"), packed = work.appendingPathComponent(s.name)
            let sim = try QCTRunner.runTool(qct, ["simulate", "pad", "--out", plain.path, "--phantoms", phantoms, "--matrix", "256",
                                                  "--pixel-spacing", "1.6", "--slices", "4", "--thickness", "3", "--spacing", "3",
                                                  "--seed", "\(20 + k)", "--acquired", "2026060\(k + 1)080000"])
            XCTAssertEqual(sim.status, 0, sim.stderr)
            try FileManager.default.createDirectory(at: packed, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: plain.path) where name.hasSuffix(".dcm") {
                let c = try QCTRunner.runTool(s.convert[0], Array(s.convert.dropFirst()) + [plain.appendingPathComponent(name).path,
                                                                                            packed.appendingPathComponent(name).path])
                XCTAssertEqual(c.status, 0, c.stderr)
            }
        }
        let db = work.appendingPathComponent("qc.sqlite"), inbox = work.appendingPathComponent("inbox")
        let node = try NodeTests.Node(qct, ["--db", db.path, "--inbox", inbox.path, "--dicom-port", "0", "--http-port", "0",
                                            "--stable-after", "1", "--phantoms", phantoms], in: work)
        defer { node.stop() }
        for s in syntaxes {
            let sent = try QCTRunner.runTool("/usr/bin/storescu", ["-v", "-aec", "QCT", s.propose, "+sd", "127.0.0.1", "\(node.port)",
                                                                  work.appendingPathComponent(s.name).path], timeout: 120)
            XCTAssertEqual(sent.status, 0, sent.stderr)
            XCTAssertFalse(sent.stderr.contains("-> Little Endian"), "sent as \(s.name), not converted: \(sent.stderr)")
        }
        let deadline = Date().addingTimeInterval(180)
        var recorded: [String] = []
        while Date() < deadline {
            recorded = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT outcome FROM input ORDER BY id"]).stdout
                .split(separator: "\n").map(String.init)
            if recorded.count >= syntaxes.count { break }
            usleep(200_000)
        }
        XCTAssertEqual(recorded, Array(repeating: "recorded", count: syntaxes.count), node.log)
        // JPEG 2000 (DCMTK 3.6.7 has no encoder for it): one real CT slice written by others, lossless
        // and lossy (one series of two files), each received in its syntax and decoded into a volume —
        // then failed by name, for the slice carries no acquisition date (checked after the load).
        for (file, propose) in [("pydicom-data/693_J2KR.dcm", "-xv"), ("pydicom/693_J2KI.dcm", "-xw")] {
            let path = TestRepository.fixtures.appendingPathComponent("dicom/\(file)").path
            let sent = try QCTRunner.runTool("/usr/bin/storescu", ["-v", "-aec", "QCT", propose, "127.0.0.1", "\(node.port)", path], timeout: 120)
            XCTAssertEqual(sent.status, 0, sent.stderr)
            XCTAssertTrue(sent.stderr.contains("JPEG 2000") && !sent.stderr.contains("-> Little Endian"), sent.stderr)
        }
        var j2k: [String] = []
        while Date() < deadline {
            j2k = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT outcome || ' ' || files || ': ' || reason FROM input WHERE id > \(syntaxes.count)"])
                .stdout.split(separator: "\n").map(String.init)
            if !j2k.isEmpty { break }
            usleep(200_000)
        }
        XCTAssertEqual(j2k, ["failed 2: refused: series: no acquisition date and time in the series; a QC result needs one"], node.log)

        // The latest result's overlay picture: an SVG with the slice embedded and the rods outlined.
        let api = "http://127.0.0.1:\(node.httpPort)"
        let latest = try XCTUnwrap(try QCTRunner.json(try exchange("GET", "\(api)/api/v1/scanners/QCT1").body)["latest"] as? [[String: Any]])
        let latestID = try XCTUnwrap(latest.first?["id"] as? Int)
        let picture = try exchange("GET", "\(api)/result/\(latestID)/picture.svg")
        XCTAssertEqual(picture.status, 200)
        XCTAssertTrue(picture.body.hasPrefix("<svg") && picture.body.contains("data:image/png;base64,"), String(picture.body.prefix(300)))
        XCTAssertGreaterThanOrEqual(picture.body.components(separatedBy: "<ellipse").count - 1, 4, "the pad's rods outlined")
        let page = try exchange("GET", "\(api)/scanner/QCT1").body
        XCTAssertTrue(page.contains("/result/\(latestID)/picture.svg"), page)
        XCTAssertFalse(page.contains("name=\"csrf\""), "no form for a reader who has not signed in")
        // Its checks, from the analysis kept as its provenance.
        XCTAssertTrue(page.contains("data-check=\"rods found\"") && page.contains("5 of 5 rods located"), page)
        let provenance = try QCTRunner.json(try exchange("GET", "\(api)/api/v1/results/\(latestID)/provenance").body)
        XCTAssertEqual((provenance["checks"] as? [[String: Any]])?.first?["name"] as? String, "rods found")
        XCTAssertEqual(try exchange("GET", "\(api)/api/v1/results/999999/provenance").status, 404)

        // Sign in with a physicist's token: a session cookie (HttpOnly, SameSite=Strict) and forms with its CSRF token.
        let made = try QCTRunner.runTool(qct, ["serve", "--db", db.path, "--add-user", "ann", "--role", "physicist"])
        let token = try XCTUnwrap(made.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        XCTAssertEqual(try exchange("POST", "\(api)/login", form: ["token": String(repeating: "a", count: 64)]).status, 401)
        let login = try exchange("POST", "\(api)/login", form: ["token": token])
        XCTAssertEqual(login.status, 303)
        XCTAssertTrue(login.cookie.contains("HttpOnly") && login.cookie.contains("SameSite=Strict"), login.cookie)
        let cookie = try XCTUnwrap(login.cookie.split(separator: ";").first.map(String.init))
        let signedIn = try exchange("GET", "\(api)/scanner/QCT1", headers: ["Cookie": cookie]).body
        let csrf = try XCTUnwrap(signedIn.range(of: #"name="csrf" value="[0-9a-f]{64}""#, options: .regularExpression)
            .map { String(signedIn[$0].dropLast().suffix(64)) })
        XCTAssertTrue(signedIn.contains("ann (physicist)"))

        // A first result rejected through a form: refused without a session, without the token, with
        // another token or from another origin; accepted with all three.
        let first = try XCTUnwrap(Int(try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT min(id) FROM result"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let reject = "\(api)/result/\(first)/reject"
        XCTAssertEqual(try exchange("POST", reject, form: ["csrf": csrf, "reason": "phantom misplaced"]).status, 401)
        XCTAssertEqual(try exchange("POST", reject, form: ["reason": "phantom misplaced"], headers: ["Cookie": cookie]).status, 403)
        XCTAssertEqual(try exchange("POST", reject, form: ["csrf": String(repeating: "0", count: 64), "reason": "x"], headers: ["Cookie": cookie]).status, 403)
        XCTAssertEqual(try exchange("POST", reject, form: ["csrf": csrf, "reason": "x"],
                                    headers: ["Cookie": cookie, "Origin": "http://attacker.example"]).status, 403)
        XCTAssertEqual(try exchange("GET", "\(api)/api/v1/rejections").body, "[]", "nothing rejected by the refused forms")
        let done = try exchange("POST", reject, form: ["csrf": csrf, "reason": "phantom misplaced"],
                                headers: ["Cookie": cookie, "Origin": "http://127.0.0.1:\(node.httpPort)"])
        XCTAssertEqual(done.status, 303, done.body)
        XCTAssertEqual(done.location, "/scanner/QCT1")
        let rejections = try exchange("GET", "\(api)/api/v1/rejections?scanner=QCT1").body
        XCTAssertTrue(rejections.contains(#""resultID":\#(first)"#) && rejections.contains(#""rejectedBy":"ann""#), rejections)
        XCTAssertTrue(try exchange("GET", "\(api)/scanner/QCT1").body.contains("data-rejected=\"\(first)\""))
        // A service event through a form, then sign out: the same form no longer writes.
        let event = try exchange("POST", "\(api)/scanner/QCT1/event", form: ["csrf": csrf, "description": "detector calibrated", "at": ""],
                                 headers: ["Cookie": cookie])
        XCTAssertEqual(event.status, 303, event.body)
        XCTAssertEqual(try exchange("POST", "\(api)/logout", form: ["csrf": csrf], headers: ["Cookie": cookie]).status, 303)
        XCTAssertEqual(try exchange("POST", "\(api)/scanner/QCT1/event", form: ["csrf": csrf, "description": "again"],
                                    headers: ["Cookie": cookie]).status, 401)
        // The API's rejection with the token: a second result; an unknown one is a 400 with the reason.
        let second = first + 1
        XCTAssertEqual(try NodeTests.request("POST", "\(api)/api/v1/results/\(second)/reject", json: #"{"reason": " "}"#, token: token).0, 400,
                       "a rejection needs its reason")
        let json = #"{"reason": "scan repeated"}"#
        let req = try NodeTests.request("POST", "\(api)/api/v1/results/\(second)/reject", json: json, token: token)
        XCTAssertEqual(req.0, 201, req.1)
        XCTAssertEqual(try NodeTests.request("POST", "\(api)/api/v1/results/\(second)/reject", json: json, token: nil).0, 401)
        let audit = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try NodeTests.request("GET", "\(api)/api/v1/audit", json: nil, token: token).1.utf8)) as? [[String: Any]])
        XCTAssertEqual(audit.compactMap { $0["action"] as? String }.prefix(3), ["reject result", "add service event", "reject result"])
        XCTAssertTrue(audit.allSatisfy { ($0["action"] as? String) == "add user" || ($0["user"] as? String) == "ann" }, "\(audit)")
    }
}
