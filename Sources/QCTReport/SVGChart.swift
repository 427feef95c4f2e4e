import Foundation

/// A small SVG plotting surface: linear axes with round ticks, points,
/// lines and labels. Self-contained (no scripts, no external fonts).
struct SVGChart {
    let width: Double, height: Double
    let left = 64.0, top = 28.0
    /// Right and bottom margins, px (wider for labels outside the plot, or a legend under the axis).
    var right = 16.0, bottom = 44.0
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    private(set) var body = ""

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    init(width: Double = 360, height: Double = 260, x: ClosedRange<Double>, y: ClosedRange<Double>) {
        self.width = width
        self.height = height
        xRange = x
        yRange = SVGChart.padded(y)
    }

    static func padded(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
        let span = max(r.upperBound - r.lowerBound, max(abs(r.upperBound), 1) * 1e-3)
        return (r.lowerBound - 0.08 * span)...(r.upperBound + 0.08 * span)
    }

    func px(_ x: Double) -> Double { left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - top - bottom) }

    /// Round tick values covering a range (1, 2, 5 × 10ⁿ steps).
    static func ticks(_ r: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [r.lowerBound] }
        let raw = span / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var t = ceil(r.lowerBound / step) * step
        while t <= r.upperBound + 1e-9 * span { out.append(abs(t) < 1e-12 * step ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : abs(v) >= 1 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }

    mutating func axes(title: String, xLabel: String, yLabel: String, xTicks: [(Double, String)]? = nil) {
        body += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escapeXML(title))</text>\n"
        body += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\" stroke=\"#888\"/>\n"
        for t in SVGChart.ticks(yRange) {
            body += "<line x1=\"\(f(left - 4))\" x2=\"\(f(width - right))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>"
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"10\">\(SVGChart.label(t))</text>\n"
        }
        for (t, text) in xTicks ?? SVGChart.ticks(xRange).map({ ($0, SVGChart.label($0)) }) {
            body += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(height - bottom))\" y2=\"\(f(height - bottom + 4))\" stroke=\"#888\"/>"
            body += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"10\">\(escapeXML(text))</text>\n"
        }
        body += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" font-size=\"11\">\(escapeXML(xLabel))</text>\n"
        body += "<text transform=\"translate(14 \(f((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">\(escapeXML(yLabel))</text>\n"
    }

    mutating func point(_ x: Double, _ y: Double, colour: String, radius: Double = 2.5, title: String? = nil) {
        body += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"\(f(radius))\" fill=\"\(colour)\" fill-opacity=\"0.75\">"
        body += title.map { "<title>\(escapeXML($0))</title>" } ?? ""
        body += "</circle>\n"
    }

    /// A segment between data coordinates, cut to the plot frame (nothing drawn if it lies outside).
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String, width w: Double = 1.2, dash: String? = nil) {
        guard let (x1, y1, x2, y2) = clipped(x1, y1, x2, y2) else { return }
        body += "<line x1=\"\(f(px(x1)))\" y1=\"\(f(py(y1)))\" x2=\"\(f(px(x2)))\" y2=\"\(f(py(y2)))\" stroke=\"\(colour)\" stroke-width=\"\(f(w))\""
        body += dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        body += "/>\n"
    }

    /// The part of a segment inside the axis ranges (Liang–Barsky clipping), or nil.
    func clipped(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> (Double, Double, Double, Double)? {
        let dx = x2 - x1, dy = y2 - y1
        var t0 = 0.0, t1 = 1.0
        for (p, q) in [(-dx, x1 - xRange.lowerBound), (dx, xRange.upperBound - x1), (-dy, y1 - yRange.lowerBound), (dy, yRange.upperBound - y1)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
                if t0 > t1 { return nil }
            }
        }
        return (x1 + t0 * dx, y1 + t0 * dy, x1 + t1 * dx, y1 + t1 * dy)
    }

    /// A filled rectangle between data coordinates, behind what is drawn after it.
    mutating func rect(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, fill: String, opacity: Double = 1) {
        let a = px(min(x1, x2)), b = px(max(x1, x2)), c = py(max(y1, y2)), d = py(min(y1, y2))
        body += "<rect x=\"\(f(a))\" y=\"\(f(c))\" width=\"\(f(b - a))\" height=\"\(f(d - c))\" fill=\"\(fill)\" fill-opacity=\"\(f(opacity))\"/>\n"
    }

    /// Raw SVG (pixel coordinates), e.g. a legend.
    mutating func raw(_ svg: String) { body += svg }

    mutating func text(_ x: Double, _ y: Double, _ s: String, colour: String = "#333", anchor: String = "start") {
        body += "<text x=\"\(f(px(x)))\" y=\"\(f(py(y)))\" fill=\"\(colour)\" font-size=\"10\" text-anchor=\"\(anchor)\">\(escapeXML(s))</text>\n"
    }

    func svg(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" aria-label=\"\(escapeXML(label))\" font-family=\"sans-serif\">\n"
            + body + "</svg>"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// Text safe inside XML/HTML content and attribute values.
public func escapeXML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
