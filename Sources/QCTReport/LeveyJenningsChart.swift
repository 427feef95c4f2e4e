import Foundation

/// A Levey–Jennings chart: values by date, with each baseline's mean and
/// ±1/2/3 SD over the span it judged, service events, and violations marked.
public enum LeveyJenningsChart {
    public struct Point: Sendable {
        public var acquired: String
        public var value: Double
        /// "baseline", "in control", "warning", "out of control".
        public var state: String
        public var fired: [String]
        public var target: Double?
        public var sd: Double?
        public init(acquired: String, value: Double, state: String, fired: [String], target: Double?, sd: Double?) {
            self.acquired = acquired
            self.value = value
            self.state = state
            self.fired = fired
            self.target = target
            self.sd = sd
        }
    }

    public static func svg(title: String, unit: String, points: [Point], events: [(at: String, text: String)]) -> String {
        let times = points.map { DicomDateTime.seconds($0.acquired) ?? 0 }
        let eventTimes = events.map { DicomDateTime.seconds($0.at) ?? 0 }
        let allT = times + eventTimes
        let t0 = allT.min() ?? 0, t1 = max(allT.max() ?? 1, t0 + 86_400)
        func day(_ t: Double) -> Double { (t - t0) / 86_400 }
        var ys = points.map(\.value)
        for p in points { if let t = p.target, let s = p.sd { ys += [t - 3 * s, t + 3 * s] } }
        let lo = ys.min() ?? 0, hi = ys.max() ?? 1
        var chart = SVGChart(width: 900, height: 360, x: -0.5...(day(t1) + 0.5), y: lo...hi)
        chart.axes(title: title, xLabel: "days since \(String(points.first?.acquired.prefix(10) ?? ""))", yLabel: unit)
        // Limits: one segment per run of points judged against the same target and SD.
        var n = 0
        while n < points.count {
            guard let t = points[n].target, let s = points[n].sd else { n += 1; continue }
            var m = n
            while m + 1 < points.count, points[m + 1].target == t, points[m + 1].sd == s { m += 1 }
            let a = day(times[n]) - 0.4, b = day(times[m]) + 0.4
            chart.line(a, t, b, t, colour: "#2ca02c", width: 1.5)
            for (k, colour, dash) in [(1.0, "#9ecae1", "2 3"), (2.0, "#ff9f40", "5 3"), (3.0, "#d62728", "6 3")] {
                chart.line(a, t + k * s, b, t + k * s, colour: colour, width: 1, dash: dash)
                chart.line(a, t - k * s, b, t - k * s, colour: colour, width: 1, dash: dash)
            }
            chart.text(b, t + 3 * s, "+3 SD", colour: "#d62728", anchor: "end")
            chart.text(b, t - 3 * s, "−3 SD", colour: "#d62728", anchor: "end")
            n = m + 1
        }
        for (e, t) in zip(events, eventTimes) {
            chart.line(day(t), chart.yRange.lowerBound, day(t), chart.yRange.upperBound, colour: "#7f7f7f", width: 1.5, dash: "8 4")
            chart.text(day(t) + 0.2, chart.yRange.upperBound - 0.05 * (chart.yRange.upperBound - chart.yRange.lowerBound), e.text, colour: "#555")
        }
        for (p, t) in zip(points, times) {
            let colour = p.state == "out of control" ? "#d62728" : p.state == "warning" ? "#ff7f0e" : p.state == "baseline" ? "#999999" : "#1f77b4"
            let label = "\(p.acquired): \(String(format: "%.4g", p.value)) \(unit), \(p.state)" + (p.fired.isEmpty ? "" : " (\(p.fired.joined(separator: ", ")))")
            chart.point(day(t), p.value, colour: colour, radius: p.state == "out of control" ? 5 : 3, title: label)
            if p.state == "out of control" { chart.text(day(t), p.value, "  " + p.fired.joined(separator: ","), colour: "#d62728") }
        }
        return chart.svg(label: title)
    }

    public static func html(title: String, unit: String, points: [Point], events: [(at: String, text: String)], provenance: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escapeXML(title))</title>
        <style>body{font-family:sans-serif;margin:24px} .note{font-size:12px;color:#555}</style></head><body>
        <h1 style="font-size:20px">\(escapeXML(title))</h1>
        \(svg(title: title, unit: unit, points: points, events: events))
        <p class="note">Green: baseline mean; dotted, dashed, red dashed: ±1, 2, 3 SD of the baseline each result was judged under.
        Grey points: baseline scans; orange: warning (1₂s); red: out of control (rules named). Vertical dashed lines: service events.</p>
        <p class="note">\(escapeXML(provenance))</p>
        </body></html>
        """
    }
}
