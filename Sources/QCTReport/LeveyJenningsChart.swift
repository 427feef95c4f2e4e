import Foundation
import QCTStatistics
import QCTCore

/// A Levey–Jennings chart: values by date, with each baseline's mean and
/// ±1/2/3 SD over the span it judged, service events, and violations marked.
public enum LeveyJenningsChart {
    public struct Point: Sendable {
        public var acquired: String
        public var value: Double
        /// "baseline", "in control", "warning", "out of control".
        public var state: ControlState
        public var fired: [String]
        public var target: Double?
        public var sd: Double?
        public init(acquired: String, value: Double, state: ControlState, fired: [String], target: Double?, sd: Double?) {
            self.acquired = acquired
            self.value = value
            self.state = state
            self.fired = fired
            self.target = target
            self.sd = sd
        }
    }

    /// Colours of the chart's marks (the legend draws them too).
    static let colours = (mean: "#2ca02c", sd1: "#6baed6", sd2: "#ff9f40", sd3: "#d62728", baseline: "#999999",
                          inControl: "#1f77b4", warning: "#ff7f0e", outOfControl: "#d62728", event: "#7f7f7f")

    public static func svg(title: String, unit: String, points: [Point], events: [(at: String, text: String)]) -> String {
        let times = points.map { DicomDateTime.seconds($0.acquired) ?? 0 }
        let eventTimes = events.map { DicomDateTime.seconds($0.at) ?? 0 }
        let allT = times + eventTimes
        let t0 = floor((allT.min() ?? 0) / 86_400) * 86_400, t1 = max(allT.max() ?? 1, t0 + 86_400)
        func day(_ t: Double) -> Double { (t - t0) / 86_400 }
        var ys = points.map(\.value)
        for p in points { if let t = p.target, let s = p.sd { ys += [t - 3 * s, t + 3 * s] } }
        let lo = ys.min() ?? 0, hi = ys.max() ?? 1
        var chart = SVGChart(width: 960, height: 400, x: -0.5...(day(t1) + 0.5), y: lo...hi)
        chart.right = 56
        chart.bottom = 64
        // Dates on the x axis: whole days, about eight ticks.
        let span = max(1, day(t1))
        let step = [1.0, 2, 5, 7, 14, 28, 56, 91, 182, 365].first { span / $0 <= 8 } ?? 365
        var ticks: [(Double, String)] = []
        var d = 0.0
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        while d <= span + 0.5 {
            ticks.append((d, formatter.string(from: Date(timeIntervalSince1970: t0 + d * 86_400))))
            d += step
        }
        chart.axes(title: title, xLabel: "acquisition date (UTC)", yLabel: unit, xTicks: ticks)
        // Baselines being collected: shaded, with how many scans they hold.
        var n = 0
        while n < points.count {
            guard points[n].state == .baseline else { n += 1; continue }
            var m = n
            while m + 1 < points.count, points[m + 1].state == .baseline { m += 1 }
            chart.rect(day(times[n]) - 0.45, chart.yRange.lowerBound, day(times[m]) + 0.45, chart.yRange.upperBound, fill: "#000000", opacity: 0.06)
            chart.text(day(times[n]) - 0.4, chart.yRange.lowerBound + 0.03 * (chart.yRange.upperBound - chart.yRange.lowerBound),
                       "baseline (n = \(m - n + 1))", colour: "#555")
            n = m + 1
        }
        // Limits: one segment per run of points judged against the same target and SD; the lines of the
        // last run are labelled in the right margin, clear of every point.
        n = 0
        var lastRun: (t: Double, s: Double)?
        while n < points.count {
            guard let t = points[n].target, let s = points[n].sd else { n += 1; continue }
            var m = n
            while m + 1 < points.count, points[m + 1].target == t, points[m + 1].sd == s { m += 1 }
            let a = day(times[n]) - 0.4, b = day(times[m]) + 0.4
            chart.line(a, t, b, t, colour: colours.mean, width: 1.5)
            for (k, colour, dash) in [(1.0, colours.sd1, "2 3"), (2.0, colours.sd2, "5 3"), (3.0, colours.sd3, "6 3")] {
                chart.line(a, t + k * s, b, t + k * s, colour: colour, width: 1, dash: dash)
                chart.line(a, t - k * s, b, t - k * s, colour: colour, width: 1, dash: dash)
            }
            lastRun = (t, s)
            n = m + 1
        }
        if let (t, s) = lastRun {
            let x = chart.xRange.upperBound
            for (k, label) in [(3.0, "+3 SD"), (2.0, "+2 SD"), (1.0, "+1 SD"), (0.0, "mean"), (-1.0, "−1 SD"), (-2.0, "−2 SD"), (-3.0, "−3 SD")] {
                let colour = k == 0 ? colours.mean : abs(k) == 3 ? colours.sd3 : abs(k) == 2 ? colours.sd2 : colours.sd1
                chart.raw("<text x=\"\(String(format: "%.1f", chart.px(x) + 4))\" y=\"\(String(format: "%.1f", chart.py(t + k * s) + 3))\" fill=\"\(colour)\" font-size=\"10\">\(label)</text>\n")
            }
        }
        for (e, t) in zip(events, eventTimes) {
            chart.line(day(t), chart.yRange.lowerBound, day(t), chart.yRange.upperBound, colour: colours.event, width: 1.5, dash: "8 4")
            // The label inside the plot, on the side with room.
            let late = day(t) > 0.6 * span
            chart.text(day(t) + (late ? -0.2 : 0.2), chart.yRange.upperBound - 0.05 * (chart.yRange.upperBound - chart.yRange.lowerBound),
                       e.text, colour: "#555", anchor: late ? "end" : "start")
        }
        // Points (hover for each one's value and rules). Each run of consecutive warnings or violations is
        // labelled once, at its first point, with every rule that fired in it; a label is moved down a line
        // at a time until no other is in the way, and kept inside the plot.
        var labels: [(x: Double, y: Double, width: Double)] = []
        var k = 0
        while k < points.count {
            let p = points[k], t = times[k]
            let colour = p.state == .outOfControl ? colours.outOfControl : p.state == .warning ? colours.warning
                : p.state == .baseline ? colours.baseline : colours.inControl
            let label = "\(p.acquired): \(String(format: "%.4g", p.value)) \(unit), \(p.state.rawValue)" + (p.fired.isEmpty ? "" : " (\(p.fired.joined(separator: ", ")))")
            chart.point(day(t), p.value, colour: colour, radius: p.state == .outOfControl ? 5 : 3, title: label)
            k += 1
        }
        k = 0
        while k < points.count {
            func flagged(_ q: Point) -> Bool { (q.state == .outOfControl || q.state == .warning) && !q.fired.isEmpty }
            guard flagged(points[k]) else { k += 1; continue }
            var end = k
            while end + 1 < points.count, flagged(points[end + 1]) { end += 1 }
            let run = points[k...end]
            var rules: [String] = []
            for q in run { for r in q.fired where !rules.contains(r) { rules.append(r) } }
            let worst = run.contains { $0.state == .outOfControl }
            let text = rules.joined(separator: ", ") + (end > k ? " (\(end - k + 1) in a row)" : "")
            let width = Double(text.count) * 5.6
            var x = chart.px(day(times[k])) + 6
            if x + width > chart.width - chart.right { x = chart.width - chart.right - width - 2 }
            var y = chart.py(points[k].value) - 8
            var tries = 0
            while tries < 12, labels.contains(where: { $0.x < x + width + 6 && x < $0.x + $0.width + 6 && abs($0.y - y) < 12 }) {
                y += 12
                tries += 1
            }
            chart.raw("<text x=\"\(String(format: "%.1f", x))\" y=\"\(String(format: "%.1f", y))\" fill=\"\(worst ? colours.outOfControl : colours.warning)\" font-size=\"10\" class=\"rule\">\(escapeXML(text))</text>\n")
            labels.append((x, y, width))
            k = end + 1
        }
        // Legend, a row between the dates and the axis title.
        let entries: [(String, String, String)] = [("line", colours.mean, "baseline mean"), ("line", colours.sd1, "±1 SD"), ("line", colours.sd2, "±2 SD"),
                                                   ("line", colours.sd3, "±3 SD"), ("dot", colours.baseline, "baseline scan"),
                                                   ("dot", colours.inControl, "in control"), ("dot", colours.warning, "warning"),
                                                   ("dot", colours.outOfControl, "out of control"), ("line", colours.event, "service event")]
        var legend = "<g class=\"legend\" font-size=\"10\">"
        var lx = chart.left
        let ly = chart.height - 24.0
        for (kind, colour, text) in entries {
            legend += kind == "dot"
                ? "<circle cx=\"\(String(format: "%.1f", lx + 4))\" cy=\"\(String(format: "%.1f", ly - 3))\" r=\"3.5\" fill=\"\(colour)\"/>"
                : "<line x1=\"\(String(format: "%.1f", lx))\" x2=\"\(String(format: "%.1f", lx + 12))\" y1=\"\(String(format: "%.1f", ly - 3))\" y2=\"\(String(format: "%.1f", ly - 3))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            legend += "<text x=\"\(String(format: "%.1f", lx + 16))\" y=\"\(String(format: "%.1f", ly))\">\(escapeXML(text))</text>"
            lx += 22 + Double(text.count) * 5.6
        }
        chart.raw(legend + "</g>\n")
        return chart.svg(label: title)
    }

    /// The chart on a page, with its legend, its provenance, and how it prints (`page`).
    public static func html(title: String, unit: String, points: [Point], events: [(at: String, text: String)], provenance: String,
                            page: PrintPage) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escapeXML(title))</title>
        <style>body{font-family:sans-serif;margin:24px} .note{font-size:12px;color:#555}
        \(page.css)
        @media print{svg{width:100%;height:auto}}
        </style></head><body>
        \(page.open)<h1 style="font-size:20px">\(escapeXML(title))</h1>
        \(svg(title: title, unit: unit, points: points, events: events))
        <p class="note">Green: baseline mean; dotted, dashed, red dashed: ±1, 2, 3 SD of the baseline each result was judged under.
        Grey points: baseline scans; orange: warning (1₂s); red: out of control (rules named). Vertical dashed lines: service events.</p>
        <p class="note">\(escapeXML(provenance))</p>
        \(PrintPage.close)</body></html>
        """
    }
}
