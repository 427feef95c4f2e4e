import Foundation
import QCTCore

/// Where everything in an overlay figure goes, in figure pixels; shared by the SVG and PNG
/// writers so both draw the same picture.
struct OverlayLayout {
    /// A rectangle in figure pixels.
    struct Box: Equatable {
        var x, y, width, height: Double
        func intersects(_ o: Box) -> Bool {
            x < o.x + o.width && o.x < x + width && y < o.y + o.height && o.y < y + height
        }
    }

    /// A picture of part of one slice: voxel columns `columns`, rows `rows`, shown in `box`.
    struct View {
        var panel: Int
        var slice: Int
        var columns: Range<Int>
        var rows: Range<Int>
        var box: Box
        var window: (Double, Double)
        var caption: String
        var numbered: Bool
        var scaleBar: ScaleBar

        /// Figure pixels per voxel, across and down.
        var scale: (x: Double, y: Double) { (box.width / Double(columns.count), box.height / Double(rows.count)) }
    }

    struct ScaleBar {
        var x, y, length: Double
        var label: String
    }

    /// An ROI outline placed in a view.
    struct Outline {
        var view: Int
        var center: (x: Double, y: Double)
        var radii: (Double, Double)
        var angleDegrees: Double
        var warning: Bool
        /// Its number in the label list.
        var number: Int
    }

    /// A dashed frame on a whole slice around the region a tile shows.
    struct Frame {
        var view: Int
        var box: Box
    }

    /// An ROI's number in the corner of its tile.
    struct Marker {
        var view: Int
        var center: (x: Double, y: Double)
        var number: Int
        var warning: Bool
        static let radius = 8.0
        var box: Box { Box(x: center.x - Marker.radius, y: center.y - Marker.radius, width: 2 * Marker.radius, height: 2 * Marker.radius) }
    }

    struct Label {
        var x, y: Double
        var number: Int
        var text: String
        var warning: Bool
    }

    static let maxWidth = 1280.0
    /// Panels per row: more would make each too narrow for its caption and labels.
    static let maxColumns = 3
    static let margin = 12.0, gap = 16.0, headerHeight = 70.0, captionHeight = 18.0, lineHeight = 18.0

    var header: OverlayHeader
    var width: Double
    var height: Double
    var views: [View] = []
    var outlines: [Outline] = []
    var markers: [Marker] = []
    var frames: [Frame] = []
    var labels: [Label] = []

    init(_ overlay: Overlay, geometry g: VolumeGeometry) {
        header = overlay.header
        let panels = overlay.panels.isEmpty ? [OverlayPanel(slice: g.slices / 2, shapes: [])] : overlay.panels
        let n = panels.count
        // One panel: the slice and its inset side by side; several: each column holds a slice over its
        // inset, up to `maxColumns` in a row, further panels in rows below.
        let side = n == 1
        let columns = side ? 1 : min(n, OverlayLayout.maxColumns)
        let viewWidth = min(520, ((OverlayLayout.maxWidth - 2 * OverlayLayout.margin - Double(side ? 1 : columns - 1) * OverlayLayout.gap)
                                  / Double(side ? 2 : columns)).rounded(.down))
        let fullHeight = (viewWidth * Double(g.rows) * g.rowSpacing / (Double(g.columns) * g.columnSpacing)).rounded()
        var bottom = 0.0
        var number = 0
        width = 0
        height = 0
        var rowTop = OverlayLayout.headerHeight
        for (p, panel) in panels.enumerated() {
            let k = max(0, min(g.slices - 1, panel.slice))
            let column = p % columns
            if column == 0, p > 0 { rowTop = bottom + OverlayLayout.gap }
            let x0 = OverlayLayout.margin + Double(column) * (viewWidth + OverlayLayout.gap)
            var y = rowTop + OverlayLayout.captionHeight
            let full = Box(x: x0, y: y, width: viewWidth, height: fullHeight)
            let z = g.position(column: 0, row: 0, slice: Double(k)).z
            let fullView = View(panel: p, slice: k, columns: 0..<g.columns, rows: 0..<g.rows, box: full, window: Overlay.fullWindow,
                                caption: String(format: "slice %d · z %.1f mm · window −1000…+1000 HU", k, z),
                                numbered: false, scaleBar: OverlayLayout.scaleBar(in: full, mmPerPixel: Double(g.columns) * g.columnSpacing / viewWidth))
            let fullIndex = views.count
            views.append(fullView)
            // One zoomed tile per ROI, in a grid beside (one panel) or under (several) the slice, all at one zoom.
            var tiles: [Int] = []
            if let side0 = OverlayLayout.tileSideMM(panel.shapes) {
                let m = panel.shapes.count
                let gridColumns = Int(Double(m).squareRoot().rounded(.up))
                let tileWidth = ((viewWidth - Double(gridColumns - 1) * 6) / Double(gridColumns)).rounded(.down)
                let ix = side ? x0 + viewWidth + OverlayLayout.gap : x0
                let iy = side ? y : y + fullHeight + OverlayLayout.captionHeight + 6
                let sx = viewWidth / Double(g.columns), sy = fullHeight / Double(g.rows)
                var tileBottom = iy
                for (t, s) in panel.shapes.enumerated() {
                    let (cols, rows) = OverlayLayout.tileRegion(s, sideMM: side0, geometry: g)
                    let h = (tileWidth * Double(rows.count) * g.rowSpacing / (Double(cols.count) * g.columnSpacing)).rounded()
                    let box = Box(x: ix + Double(t % gridColumns) * (tileWidth + 6), y: iy + Double(t / gridColumns) * (h + 6), width: tileWidth, height: h)
                    let zoom = (tileWidth / Double(cols.count)) / sx
                    let caption = t == 0 ? String(format: "each ROI zoomed ×%.1f · window −250…+450 HU", zoom) : ""
                    tiles.append(views.count)
                    views.append(View(panel: p, slice: k, columns: cols, rows: rows, box: box, window: Overlay.insetWindow,
                                      caption: caption, numbered: true,
                                      scaleBar: OverlayLayout.scaleBar(in: box, mmPerPixel: Double(cols.count) * g.columnSpacing / tileWidth)))
                    frames.append(Frame(view: fullIndex, box: Box(x: x0 + Double(cols.lowerBound) * sx, y: y + Double(rows.lowerBound) * sy,
                                                                  width: Double(cols.count) * sx, height: Double(rows.count) * sy)))
                    tileBottom = max(tileBottom, box.y + box.height)
                }
                y = tileBottom
            } else {
                y += fullHeight
            }
            y = max(y, full.y + full.height) + 10
            for (t, s) in panel.shapes.enumerated() {
                number += 1
                for v in [fullIndex] + (tiles.isEmpty ? [] : [tiles[t]]) {
                    outlines.append(OverlayLayout.outline(s, view: v, in: views[v], geometry: g, number: number))
                }
                if !tiles.isEmpty {
                    let b = views[tiles[t]].box
                    markers.append(Marker(view: tiles[t], center: (b.x + Marker.radius + 4, b.y + Marker.radius + 4), number: number, warning: s.warning))
                }
                labels.append(Label(x: x0, y: y + OverlayLayout.lineHeight * 0.75, number: number, text: s.label, warning: s.warning))
                y += OverlayLayout.lineHeight
            }
            bottom = max(bottom, y)
            width = max(width, (side ? x0 + 2 * viewWidth + OverlayLayout.gap : x0 + viewWidth) + OverlayLayout.margin)
        }
        height = (bottom + OverlayLayout.margin).rounded(.up)
    }

    /// The side of the square each ROI's tile shows, mm: the largest ROI's width and a margin.
    static func tileSideMM(_ shapes: [OverlayShape]) -> Double? {
        guard let widest = shapes.map({ s in max(s.halfExtentMM.x, s.halfExtentMM.y) }).max() else { return nil }
        return max(16, 2 * widest * 1.6)
    }

    /// Voxel ranges of the square tile around one ROI, kept inside the slice.
    static func tileRegion(_ s: OverlayShape, sideMM: Double, geometry g: VolumeGeometry) -> (Range<Int>, Range<Int>) {
        func range(_ centre: Double, origin: Double, spacing: Double, count: Int) -> Range<Int> {
            let n = min(count, max(8, Int((sideMM / spacing).rounded())))
            let first = Int(((centre - sideMM / 2 - origin) / spacing + 0.5).rounded(.down))
            let start = max(0, min(count - n, first))
            return start..<(start + n)
        }
        return (range(s.centerMM.x, origin: g.origin.x, spacing: g.columnSpacing, count: g.columns),
                range(s.centerMM.y, origin: g.origin.y, spacing: g.rowSpacing, count: g.rows))
    }

    /// A bar of a round length (1, 2 or 5 × 10ⁿ mm) up to 30 % of the view's width, bottom left.
    static func scaleBar(in box: Box, mmPerPixel: Double) -> ScaleBar {
        let target = 0.3 * box.width * mmPerPixel
        let mag = pow(10, floor(log10(target)))
        let mm = [5.0, 2, 1].map { $0 * mag }.first { $0 <= target } ?? mag
        return ScaleBar(x: box.x + 10, y: box.y + box.height - 12, length: mm / mmPerPixel,
                        label: String(format: mm >= 1 ? "%.0f mm" : "%.1f mm", mm))
    }

    static func outline(_ s: OverlayShape, view index: Int, in v: View, geometry g: VolumeGeometry, number: Int) -> Outline {
        // Voxel (i, j) covers [i, i+1) in view coordinates; its centre is at i + 0.5.
        let i = (s.centerMM.x - g.origin.x) / g.columnSpacing + 0.5 - Double(v.columns.lowerBound)
        let j = (s.centerMM.y - g.origin.y) / g.rowSpacing + 0.5 - Double(v.rows.lowerBound)
        let sc = v.scale
        return Outline(view: index, center: (v.box.x + i * sc.x, v.box.y + j * sc.y),
                       radii: (s.semiAxesMM.0 / g.columnSpacing * sc.x, s.semiAxesMM.1 / g.rowSpacing * sc.y),
                       angleDegrees: s.angleDegrees, warning: s.warning, number: number)
    }
}
