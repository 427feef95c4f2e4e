import Foundation
import QCTCalibration
import QCTCore
import QCTExport

/// Draws the measured ROIs on the slice nearest their middle, so a person
/// sees what was measured: SVG (image embedded, circles and labels as
/// vectors) or PNG (circles drawn in).
enum OverlayWriter {
    static func write(volume v: Volume, rods: [CalibratedRod], to path: String) throws {
        let g = v.geometry
        let mid = rods.isEmpty ? g.slices / 2 : rods.map { ($0.sliceRange[0] + $0.sliceRange[1]) / 2 }.sorted()[rods.count / 2]
        // Window −1000…+1000 HU into grey.
        var rgb = [UInt8](repeating: 0, count: g.voxelsPerSlice * 3)
        for i in 0..<g.voxelsPerSlice {
            let h = v.hu(at: mid * g.voxelsPerSlice + i)
            let grey = UInt8(max(0, min(255, (h + 1000) / 2000 * 255)))
            rgb[3 * i] = grey; rgb[3 * i + 1] = grey; rgb[3 * i + 2] = grey
        }
        func pixel(_ x: Double, _ y: Double) -> (Double, Double) {
            ((x - g.origin.x) / g.columnSpacing, (y - g.origin.y) / g.rowSpacing)
        }
        if path.lowercased().hasSuffix(".png") {
            for r in rods {
                let (ci, cj) = pixel(r.centerMM[0], r.centerMM[1])
                let rad = r.roiRadiusMM / g.columnSpacing
                for t in 0..<720 {
                    let a = Double(t) * Double.pi / 360
                    let i = Int((ci + rad * cos(a)).rounded()), j = Int((cj + rad * sin(a)).rounded())
                    guard i >= 0, j >= 0, i < g.columns, j < g.rows else { continue }
                    let o = 3 * (j * g.columns + i)
                    rgb[o] = r.located == "detected" || r.located == "manual" ? 0 : 255
                    rgb[o + 1] = r.located == "template" ? 64 : 220
                    rgb[o + 2] = 0
                }
            }
            try Data(try PNGEncoder.rgb(rgb, width: g.columns, height: g.rows)).write(to: URL(fileURLWithPath: path), options: .atomic)
            return
        }
        let png = try PNGEncoder.rgb(rgb, width: g.columns, height: g.rows)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(g.columns)" height="\(g.rows)" viewBox="0 0 \(g.columns) \(g.rows)">
            <title>qct calibrate: ROIs on slice \(mid)</title>
            <image width="\(g.columns)" height="\(g.rows)" xlink:href="data:image/png;base64,\(Data(png).base64EncodedString())"/>

            """
        for r in rods {
            let (ci, cj) = pixel(r.centerMM[0], r.centerMM[1])
            let colour = r.located == "template" ? "#ff4040" : "#00dc00"
            svg += String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"none\" stroke=\"%@\" stroke-width=\"1\"/>\n",
                          ci, cj, r.roiRadiusMM / g.columnSpacing, colour)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"%@\" font-size=\"12\" font-family=\"sans-serif\">%@ %.1f HU</text>\n",
                          ci + r.roiRadiusMM / g.columnSpacing + 3, cj - 3, colour, r.name, r.meanHU)
        }
        svg += "</svg>\n"
        try Data(svg.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
