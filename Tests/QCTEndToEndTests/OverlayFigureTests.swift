import Foundation
import XCTest

/// The ROI overlays of `calibrate` and `measure`: a header that names scanner, date, phantom and
/// status; a zoomed tile per ROI; scale bars; numbered labels that never collide; a width that
/// fits a 1280 px page; a real PNG; and a Chromium rendering that is not blank.
final class OverlayFigureTests: XCTestCase {
    let phantoms = SimulateCommandTests.repo.appendingPathComponent("Phantoms").path

    struct Box {
        var x, y, w, h: Double
        func contains(_ p: (Double, Double)) -> Bool { p.0 >= x && p.0 <= x + w && p.1 >= y && p.1 <= y + h }
        func overlaps(_ o: Box) -> Bool { x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h }
    }

    func attribute(_ name: String, _ element: String) -> Double? {
        guard let r = element.range(of: " \(name)=\"") else { return nil }
        return Double(element[r.upperBound...].prefix { $0 != "\"" })
    }

    func elements(_ svg: String, _ pattern: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { String(svg[Range($0.range, in: svg)!]) }
    }

    func testOverlaysShowHeaderTilesScaleBarsAndLabelsThatDoNotCollide() throws {
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let qct = try QCTRunner.releaseQCT()
        let scan = root.appendingPathComponent("scan")
        let sim = try QCTRunner.runTool(qct, ["simulate", "esp-on-pad", "--out", scan.path, "--phantoms", phantoms, "--seed", "7",
                                              "--slices", "60", "--thickness", "2", "--spacing", "2", "--matrix", "400", "--pixel-spacing", "0.9"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let rods = root.appendingPathComponent("rods.svg"), vertebrae = root.appendingPathComponent("vertebrae.svg")
        let png = root.appendingPathComponent("vertebrae.png")
        let cal = try QCTRunner.runTool(qct, ["calibrate", scan.path, "--phantom", "mindways-model3-ct", "--phantoms", phantoms, "--overlay", rods.path])
        XCTAssertEqual(cal.status, 0, cal.stderr)
        XCTAssertTrue(cal.stderr.contains("wrote \(rods.path)"), cal.stderr)
        for out in [vertebrae, png] {
            let m = try QCTRunner.runTool(qct, ["measure", scan.path, "--esp", "--phantoms", phantoms, "--overlay", out.path])
            XCTAssertEqual(m.status, 0, m.stderr)
        }
        for (file, shapes) in [(rods, 5), (vertebrae, 3)] {
            let svg = try String(contentsOf: file, encoding: .utf8)
            let svgTag = try XCTUnwrap(elements(svg, "<svg [^>]*>").first)
            XCTAssertLessThanOrEqual(try XCTUnwrap(attribute("width", svgTag)), 1280, "fits a 1280 px page")
            // Header: scanner, acquisition date, phantom, status.
            let header = elements(svg, "<text class=\"header\"[^>]*>.*?</text>").joined()
            for word in ["scanner QCT1", "acquired 20", "phantom ", "certificate ", ">PASS<"] {
                XCTAssertTrue(header.contains(word), "header lacks \(word): \(header)")
            }
            // Outlines: each ROI on its slice and in its own tile; one dashed frame, one marker and one label per ROI.
            XCTAssertEqual(elements(svg, "<ellipse class=\"roi\"").count, 2 * shapes, file.lastPathComponent)
            XCTAssertEqual(elements(svg, "<rect class=\"inset-frame\"").count, shapes)
            let markers = elements(svg, "<g class=\"marker\"[^>]*><circle [^>]*>")
            let labels = elements(svg, "<g class=\"label\".*?</g>")
            XCTAssertEqual(markers.count, shapes)
            XCTAssertEqual(labels.count, shapes)
            // Scale bars on every picture, with round lengths.
            let images = elements(svg, "<image [^>]*>")
            let bars = elements(svg, "<g class=\"scale-bar\">.*?</g>")
            XCTAssertEqual(bars.count, images.count)
            for b in bars { XCTAssertNotNil(b.range(of: #">(1|2|5|10|20|50|100|200) mm<"#, options: .regularExpression), b) }
            // Each marker sits inside a tile; no two markers or labels overlap.
            let tiles = images.compactMap { e -> Box? in
                guard let x = attribute("x", e), let y = attribute("y", e), let w = attribute("width", e), let h = attribute("height", e) else { return nil }
                return Box(x: x, y: y, w: w, h: h)
            }
            let markerBoxes = markers.compactMap { e -> Box? in
                guard let cx = attribute("cx", e), let cy = attribute("cy", e), let r = attribute("r", e) else { return nil }
                return Box(x: cx - r, y: cy - r, w: 2 * r, h: 2 * r)
            }
            for m in markerBoxes {
                XCTAssertTrue(tiles.contains { $0.contains((m.x, m.y)) && $0.contains((m.x + m.w, m.y + m.h)) }, "marker \(m) outside every tile")
            }
            let labelBoxes = labels.compactMap { e -> Box? in
                guard let cx = attribute("cx", e), let cy = attribute("cy", e) else { return nil }
                let text = e.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
                return Box(x: cx - 8, y: cy - 9, w: 24 + 7 * Double(text.count), h: 17)
            }
            for boxes in [markerBoxes, labelBoxes] {
                for (i, a) in boxes.enumerated() {
                    for b in boxes[(i + 1)...] { XCTAssertFalse(a.overlaps(b), "\(file.lastPathComponent): \(a) overlaps \(b)") }
                }
            }
            // Every outline on the whole slice lies inside the dashed frame of its tile.
            let frames = elements(svg, "<rect class=\"inset-frame\"[^>]*>").compactMap { e -> Box? in
                guard let x = attribute("x", e), let y = attribute("y", e), let w = attribute("width", e), let h = attribute("height", e) else { return nil }
                return Box(x: x, y: y, w: w, h: h)
            }
            let fullOutlines = elements(svg, "<ellipse class=\"roi\"[^>]*stroke-width=\"1\"")
            XCTAssertEqual(fullOutlines.count, shapes)
            for e in fullOutlines {
                let c = (try XCTUnwrap(attribute("cx", e)), try XCTUnwrap(attribute("cy", e)))
                XCTAssertTrue(frames.contains { $0.contains(c) }, "outline at \(c) outside every frame")
            }
            // Rendered by Chromium: not blank, in colour.
            let shot = root.appendingPathComponent(file.lastPathComponent + ".png")
            let run = try QCTRunner.runTool("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                                  "--user-data-dir=\(root.appendingPathComponent("profile").path)",
                                                                  "--window-size=1280,1000", "--screenshot=\(shot.path)", file.absoluteString], timeout: 120)
            XCTAssertTrue(FileManager.default.fileExists(atPath: shot.path), run.stderr)
            let stats = try QCTRunner.json(try QCTRunner.runTool(QCTRunner.python, [SimulateCommandTests.repo.appendingPathComponent("Scripts/png_stats.py").path, shot.path]).stdout)
            XCTAssertGreaterThan(try XCTUnwrap(stats["nonWhiteFraction"] as? Double), 0.2)
            XCTAssertGreaterThan(try XCTUnwrap(stats["colours"] as? Int), 50)
        }
        // The PNG is a PNG (read by Pillow), as wide as the SVG, with its header in an iTXt chunk.
        let info = try QCTRunner.runTool(QCTRunner.python, ["-c", """
            import json, sys; from PIL import Image
            im = Image.open(sys.argv[1]); im.load()
            print(json.dumps({"format": im.format, "width": im.width, "title": im.text.get("Title", ""), "description": im.text.get("Description", "")}))
            """, png.path])
        let facts = try QCTRunner.json(info.stdout)
        XCTAssertEqual(facts["format"] as? String, "PNG", info.stderr)
        XCTAssertLessThanOrEqual(try XCTUnwrap(facts["width"] as? Int), 1280)
        XCTAssertTrue((facts["title"] as? String ?? "").contains("qct measure"), "\(facts)")
        XCTAssertTrue((facts["description"] as? String ?? "").contains("status PASS"), "\(facts)")
    }
}
