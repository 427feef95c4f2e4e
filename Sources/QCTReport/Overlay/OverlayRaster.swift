import Foundation
import QCTCore
import QCTExport

/// The overlay figure as PNG: the same picture as the SVG without its text (the header and
/// the numbered labels are stored in iTXt chunks, "Title" and "Description").
enum OverlayRaster {
    /// A view's voxels as grey RGB at one pixel per voxel, in its window.
    static func grey(_ volume: Volume, view v: OverlayLayout.View) -> [UInt8] {
        let (lo, hi) = v.window
        var rgb = [UInt8](repeating: 0, count: v.columns.count * v.rows.count * 3)
        var o = 0
        for j in v.rows {
            for i in v.columns {
                let h = volume.hu(column: i, row: j, slice: v.slice)
                let g = UInt8(max(0, min(255, ((h - lo) / (hi - lo) * 255).rounded())))
                rgb[o] = g; rgb[o + 1] = g; rgb[o + 2] = g
                o += 3
            }
        }
        return rgb
    }

    struct Canvas {
        let width: Int, height: Int
        var rgb: [UInt8]
        init(width: Int, height: Int) {
            self.width = width
            self.height = height
            rgb = [UInt8](repeating: 255, count: width * height * 3)
        }
        mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let o = 3 * (y * width + x)
            rgb[o] = c.0; rgb[o + 1] = c.1; rgb[o + 2] = c.2
        }
        mutating func fill(_ b: OverlayLayout.Box, _ c: (UInt8, UInt8, UInt8)) {
            for y in Int(b.y.rounded())..<Int((b.y + b.height).rounded()) {
                for x in Int(b.x.rounded())..<Int((b.x + b.width).rounded()) { set(x, y, c) }
            }
        }
    }

    static let ok: (UInt8, UInt8, UInt8) = (0, 200, 0), warning: (UInt8, UInt8, UInt8) = (255, 48, 48)

    static func render(_ l: OverlayLayout, volume: Volume) throws -> [UInt8] {
        var canvas = Canvas(width: Int(l.width.rounded(.up)), height: Int(l.height.rounded(.up)))
        for (n, v) in l.views.enumerated() {
            let src = grey(volume, view: v), sc = v.scale
            let x0 = Int(v.box.x.rounded()), y0 = Int(v.box.y.rounded())
            for y in 0..<Int(v.box.height.rounded()) {
                let j = min(v.rows.count - 1, Int((Double(y) + 0.5) / sc.y))
                for x in 0..<Int(v.box.width.rounded()) {
                    let i = min(v.columns.count - 1, Int((Double(x) + 0.5) / sc.x))
                    let o = 3 * (j * v.columns.count + i)
                    canvas.set(x0 + x, y0 + y, (src[o], src[o + 1], src[o + 2]))
                }
            }
            for fr in l.frames.filter({ $0.view == n }).map(\.box) {
                for t in stride(from: 0.0, to: 2 * (fr.width + fr.height), by: 1) where Int(t) % 7 < 4 {
                    let p = t < fr.width ? (fr.x + t, fr.y)
                        : t < fr.width + fr.height ? (fr.x + fr.width, fr.y + t - fr.width)
                        : t < 2 * fr.width + fr.height ? (fr.x + fr.width - (t - fr.width - fr.height), fr.y + fr.height)
                        : (fr.x, fr.y + fr.height - (t - 2 * fr.width - fr.height))
                    canvas.set(Int(p.0.rounded()), Int(p.1.rounded()), (255, 210, 0))
                }
            }
            for o in l.outlines where o.view == n {
                let t0 = o.angleDegrees * .pi / 180
                let steps = max(360, Int(8 * max(o.radii.0, o.radii.1)))
                for t in 0..<steps {
                    let u = Double(t) * 2 * .pi / Double(steps)
                    let a = o.radii.0 * cos(u), b = o.radii.1 * sin(u)
                    canvas.set(Int((o.center.x + a * cos(t0) - b * sin(t0)).rounded(.down)),
                               Int((o.center.y + a * sin(t0) + b * cos(t0)).rounded(.down)), o.warning ? warning : ok)
                }
            }
            for m in l.markers where m.view == n {
                let r = OverlayLayout.Marker.radius
                for dy in Int(-r)...Int(r) {
                    for dx in Int(-r)...Int(r) where Double(dx * dx + dy * dy) <= r * r {
                        canvas.set(Int(m.center.x) + dx, Int(m.center.y) + dy, m.warning ? warning : ok)
                    }
                }
                let label = String(m.number)
                TinyFont.draw(label, x: Int(m.center.x) - TinyFont.width(label, scale: 2) / 2, y: Int(m.center.y) - 5, scale: 2,
                              colour: (0, 0, 0), on: &canvas)
            }
            let b = v.scaleBar
            canvas.fill(OverlayLayout.Box(x: b.x - 1, y: b.y - 1, width: b.length + 2, height: 5), (0, 0, 0))
            canvas.fill(OverlayLayout.Box(x: b.x, y: b.y, width: b.length, height: 3), (255, 255, 255))
            TinyFont.draw(b.label, x: Int(b.x), y: Int(b.y) - 13, scale: 2, colour: (255, 255, 255), on: &canvas)
        }
        var description = [l.header.details, l.header.phantomLine] + l.views.filter { !$0.caption.isEmpty }.map(\.caption)
        description += l.labels.map { "\($0.number) \($0.text)" }
        return try PNGEncoder.rgb(canvas.rgb, width: canvas.width, height: canvas.height,
                                  text: [("Title", l.header.title), ("Description", description.joined(separator: "\n"))])
    }
}

/// A 3×5 pixel font for the numbers a raster figure needs (ROI numbers, scale-bar lengths).
enum TinyFont {
    /// Rows top to bottom, 3 bits each (4 = left pixel).
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 2, 2], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ".": [0, 0, 0, 0, 2], "m": [0, 0, 7, 7, 5], " ": [0, 0, 0, 0, 0],
    ]

    /// Draws `text` with its top-left corner at (x, y), each font pixel `scale` canvas pixels wide.
    static func draw(_ text: String, x: Int, y: Int, scale: Int, colour: (UInt8, UInt8, UInt8), on canvas: inout OverlayRaster.Canvas) {
        for (n, ch) in text.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<3 where bits & (4 >> c) != 0 {
                    for dy in 0..<scale {
                        for dx in 0..<scale { canvas.set(x + (4 * n + c) * scale + dx, y + r * scale + dy, colour) }
                    }
                }
            }
        }
    }

    /// Width of `text` in canvas pixels.
    static func width(_ text: String, scale: Int) -> Int { max(0, 4 * text.count - 1) * scale }
}
