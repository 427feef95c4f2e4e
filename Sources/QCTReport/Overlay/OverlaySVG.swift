import Foundation
import QCTCore
import QCTExport

/// The overlay figure as SVG: slices embedded as PNG, outlines, numbers and text as vectors.
enum OverlaySVG {
    static let ok = "#00c800", warning = "#ff3030", frame = "#ffd200"

    static func render(_ l: OverlayLayout, volume: Volume) -> String {
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(f(l.width))" height="\(f(l.height))" \
            viewBox="0 0 \(f(l.width)) \(f(l.height))" font-family="sans-serif" role="img" aria-label="\(escapeXML(l.header.title))">
            <title>\(escapeXML(l.header.title))</title>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text class="header" x="\(f(OverlayLayout.margin))" y="20" font-size="15" font-weight="bold">\(escapeXML(l.header.title))</text>
            <text class="header" x="\(f(OverlayLayout.margin))" y="40" font-size="13">\(escapeXML(detailsWithoutStatus(l.header)))<tspan \
            class="status" font-weight="bold" fill="\(statusColour(l.header.status))">\(escapeXML(l.header.status.uppercased()))</tspan></text>
            <text class="header" x="\(f(OverlayLayout.margin))" y="58" font-size="12" fill="#444">\(escapeXML(l.header.phantomLine))</text>

            """
        for (n, v) in l.views.enumerated() {
            s += "<g class=\"view\" data-view=\"\(n)\" data-panel=\"\(v.panel)\" data-slice=\"\(v.slice)\">\n"
            if !v.caption.isEmpty { s += "<text class=\"caption\" x=\"\(f(v.box.x))\" y=\"\(f(v.box.y - 5))\" font-size=\"11\" fill=\"#333\">\(escapeXML(v.caption))</text>\n" }
            let png = (try? PNGEncoder.rgb(OverlayRaster.grey(volume, view: v), width: v.columns.count, height: v.rows.count)) ?? []
            s += "<image x=\"\(f(v.box.x))\" y=\"\(f(v.box.y))\" width=\"\(f(v.box.width))\" height=\"\(f(v.box.height))\" preserveAspectRatio=\"none\""
            s += v.numbered ? " style=\"image-rendering:pixelated\"" : ""
            s += " xlink:href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
            for fr in l.frames.filter({ $0.view == n }).map(\.box) {
                s += "<rect class=\"inset-frame\" x=\"\(f(fr.x))\" y=\"\(f(fr.y))\" width=\"\(f(fr.width))\" height=\"\(f(fr.height))\" fill=\"none\" stroke=\"\(frame)\" stroke-dasharray=\"4 3\"/>\n"
            }
            for o in l.outlines where o.view == n {
                s += "<ellipse class=\"roi\" data-number=\"\(o.number)\" cx=\"\(f(o.center.x))\" cy=\"\(f(o.center.y))\" rx=\"\(f(o.radii.0))\" ry=\"\(f(o.radii.1))\""
                s += " transform=\"rotate(\(f(o.angleDegrees)) \(f(o.center.x)) \(f(o.center.y)))\" fill=\"none\" stroke=\"\(o.warning ? warning : ok)\" stroke-width=\"\(v.numbered ? "1.5" : "1")\"/>\n"
            }
            for m in l.markers where m.view == n {
                s += "<g class=\"marker\" data-number=\"\(m.number)\"><circle cx=\"\(f(m.center.x))\" cy=\"\(f(m.center.y))\" r=\"\(f(OverlayLayout.Marker.radius))\" fill=\"#000\" fill-opacity=\"0.6\" stroke=\"\(m.warning ? warning : ok)\"/>"
                s += "<text x=\"\(f(m.center.x))\" y=\"\(f(m.center.y + 4))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#fff\">\(m.number)</text></g>\n"
            }
            let b = v.scaleBar
            s += "<g class=\"scale-bar\"><rect x=\"\(f(b.x - 1))\" y=\"\(f(b.y - 1))\" width=\"\(f(b.length + 2))\" height=\"5\" fill=\"#000\"/>"
            s += "<rect x=\"\(f(b.x))\" y=\"\(f(b.y))\" width=\"\(f(b.length))\" height=\"3\" fill=\"#fff\"/>"
            s += "<text x=\"\(f(b.x))\" y=\"\(f(b.y - 5))\" font-size=\"11\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"2.5\" paint-order=\"stroke\">\(escapeXML(b.label))</text></g>\n"
            s += "</g>\n"
        }
        for label in l.labels {
            let colour = label.warning ? warning : ok
            s += "<g class=\"label\" data-number=\"\(label.number)\"><circle cx=\"\(f(label.x + 8))\" cy=\"\(f(label.y - 4))\" r=\"8\" fill=\"#222\" stroke=\"\(colour)\"/>"
            s += "<text x=\"\(f(label.x + 8))\" y=\"\(f(label.y))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#fff\">\(label.number)</text>"
            s += "<text x=\"\(f(label.x + 22))\" y=\"\(f(label.y))\" font-size=\"12\" fill=\"\(label.warning ? "#b00000" : "#111")\">\(escapeXML(label.text))</text></g>\n"
        }
        return s + "</svg>\n"
    }

    static func detailsWithoutStatus(_ h: OverlayHeader) -> String {
        let d = h.details
        return String(d.dropLast(h.status.count))
    }

    static func statusColour(_ status: String) -> String {
        switch status.lowercased() {
        case "pass": return "#1a7f37"
        case "warn": return "#b35900"
        default: return "#c62828"
        }
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
