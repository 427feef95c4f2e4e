import Foundation
import QCTCalibration
import QCTCore
import QCTExport
import QCTReport

/// An ROI outline to draw: an ellipse in patient mm (circles: equal axes).
struct OverlayShape {
    var centerMM: (x: Double, y: Double)
    var semiAxesMM: (Double, Double)
    /// Major-axis angle from the image row direction, degrees.
    var angleDegrees: Double
    var label: String
    /// Drawn red instead of green (placed from the template, not seen).
    var warning: Bool

    static func rods(_ rods: [CalibratedRod]) -> [OverlayShape] {
        rods.map { r in
            OverlayShape(centerMM: (r.centerMM[0], r.centerMM[1]), semiAxesMM: (r.roiRadiusMM, r.roiRadiusMM), angleDegrees: 0,
                         label: String(format: "%@ %.1f HU", r.name, r.meanHU), warning: r.located == "template")
        }
    }
}

/// Draws measured ROIs on slices, side by side, so a person sees what was
/// measured: SVG (images embedded, outlines and labels as vectors) or PNG
/// (outlines drawn in). Grey window −1000…+1000 HU.
enum OverlayWriter {
    static func write(volume v: Volume, rods: [CalibratedRod], to path: String) throws {
        let mid = rods.isEmpty ? v.geometry.slices / 2 : rods.map { ($0.sliceRange[0] + $0.sliceRange[1]) / 2 }.sorted()[rods.count / 2]
        try write(volume: v, panels: [(mid, OverlayShape.rods(rods))], title: "qct calibrate: ROIs on slice \(mid)", to: path)
    }

    static func write(volume v: Volume, panels: [(slice: Int, shapes: [OverlayShape])], title: String, to path: String) throws {
        let g = v.geometry
        let width = g.columns * max(1, panels.count), height = g.rows
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for (p, panel) in panels.enumerated() {
            let k = max(0, min(g.slices - 1, panel.slice))
            for j in 0..<g.rows {
                for i in 0..<g.columns {
                    let h = v.hu(at: (k * g.rows + j) * g.columns + i)
                    let grey = UInt8(max(0, min(255, (h + 1000) / 2000 * 255)))
                    let o = 3 * (j * width + p * g.columns + i)
                    rgb[o] = grey; rgb[o + 1] = grey; rgb[o + 2] = grey
                }
            }
        }
        func pixel(_ x: Double, _ y: Double) -> (Double, Double) {
            ((x - g.origin.x) / g.columnSpacing, (y - g.origin.y) / g.rowSpacing)
        }
        if path.lowercased().hasSuffix(".png") {
            for (p, panel) in panels.enumerated() {
                for s in panel.shapes {
                    let (ci, cj) = pixel(s.centerMM.x, s.centerMM.y)
                    let a = s.semiAxesMM.0 / g.columnSpacing, b = s.semiAxesMM.1 / g.rowSpacing
                    let t0 = s.angleDegrees * .pi / 180
                    for t in 0..<1440 {
                        let u = Double(t) * Double.pi / 720
                        let x = a * cos(u), y = b * sin(u)
                        let i = Int((ci + x * cos(t0) - y * sin(t0)).rounded()), j = Int((cj + x * sin(t0) + y * cos(t0)).rounded())
                        guard i >= 0, j >= 0, i < g.columns, j < g.rows else { continue }
                        let o = 3 * (j * width + p * g.columns + i)
                        rgb[o] = s.warning ? 255 : 0
                        rgb[o + 1] = s.warning ? 64 : 220
                        rgb[o + 2] = 0
                    }
                }
            }
            try Data(try PNGEncoder.rgb(rgb, width: width, height: height)).write(to: URL(fileURLWithPath: path), options: .atomic)
            return
        }
        let png = try PNGEncoder.rgb(rgb, width: width, height: height)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
            <title>\(escapeXML(title))</title>
            <image width="\(width)" height="\(height)" xlink:href="data:image/png;base64,\(Data(png).base64EncodedString())"/>

            """
        for (p, panel) in panels.enumerated() {
            let dx = Double(p * g.columns)
            svg += String(format: "<text x=\"%.1f\" y=\"16\" fill=\"#ffffff\" font-size=\"13\" font-family=\"sans-serif\">slice %d</text>\n", dx + 6, panel.slice)
            for s in panel.shapes {
                let (ci, cj) = pixel(s.centerMM.x, s.centerMM.y)
                let colour = s.warning ? "#ff4040" : "#00dc00"
                svg += String(format: "<ellipse cx=\"%.2f\" cy=\"%.2f\" rx=\"%.2f\" ry=\"%.2f\" transform=\"rotate(%.2f %.2f %.2f)\" fill=\"none\" stroke=\"%@\" stroke-width=\"1\"/>\n",
                              dx + ci, cj, s.semiAxesMM.0 / g.columnSpacing, s.semiAxesMM.1 / g.rowSpacing, s.angleDegrees, dx + ci, cj, colour)
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"%@\" font-size=\"12\" font-family=\"sans-serif\">%@</text>\n",
                              dx + ci + s.semiAxesMM.0 / g.columnSpacing + 3, cj - 3, colour, escapeXML(s.label))
            }
        }
        svg += "</svg>\n"
        try Data(svg.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
