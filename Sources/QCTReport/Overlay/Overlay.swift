import Foundation
import QCTCalibration
import QCTCore

/// An ROI outline to draw: an ellipse in patient mm (circles: equal axes).
public struct OverlayShape: Sendable {
    public var centerMM: (x: Double, y: Double)
    public var semiAxesMM: (Double, Double)
    /// Major-axis angle from the image row direction, degrees.
    public var angleDegrees: Double
    /// What the ROI is and what it read, e.g. `L1 152.3 HU = 100.2 mg/cm³`.
    public var label: String
    /// Drawn red instead of green (placed from the template, not seen).
    public var warning: Bool

    public init(centerMM: (x: Double, y: Double), semiAxesMM: (Double, Double), angleDegrees: Double, label: String, warning: Bool) {
        self.centerMM = centerMM
        self.semiAxesMM = semiAxesMM
        self.angleDegrees = angleDegrees
        self.label = label
        self.warning = warning
    }

    /// The calibration rods' ROIs, labelled with their mean HU.
    public static func rods(_ rods: [CalibratedRod]) -> [OverlayShape] {
        rods.map { r in
            OverlayShape(centerMM: (r.centerMM[0], r.centerMM[1]), semiAxesMM: (r.roiRadiusMM, r.roiRadiusMM), angleDegrees: 0,
                         label: "\(r.name) \(OverlayText.number(r.meanHU)) HU" + (r.located == .template ? " (placed from the template)" : ""),
                         warning: r.located == .template)
        }
    }

    /// Half the width and height of the box that holds the ellipse, mm.
    var halfExtentMM: (x: Double, y: Double) {
        let t = angleDegrees * .pi / 180, a = semiAxesMM.0, b = semiAxesMM.1
        return ((a * a * cos(t) * cos(t) + b * b * sin(t) * sin(t)).squareRoot(),
                (a * a * sin(t) * sin(t) + b * b * cos(t) * cos(t)).squareRoot())
    }
}

/// One slice with the ROIs measured on it.
public struct OverlayPanel: Sendable {
    public var slice: Int
    public var shapes: [OverlayShape]
    public init(slice: Int, shapes: [OverlayShape]) {
        self.slice = slice
        self.shapes = shapes
    }
}

/// What the figure is about, printed above it.
public struct OverlayHeader: Sendable {
    public var title: String
    public var scanner: String
    public var acquired: String?
    public var phantom: String
    public var certificate: String?
    /// pass, warn or fail.
    public var status: String

    public init(title: String, scanner: String, acquired: String?, phantom: String, certificate: String?, status: String) {
        self.title = title
        self.scanner = scanner
        self.acquired = acquired
        self.phantom = phantom
        self.certificate = certificate
        self.status = status
    }

    /// The second header line: scanner, date and status.
    var details: String { "scanner \(scanner) · acquired \(acquired ?? "unknown") · status \(status.uppercased())" }

    /// The third header line: the phantom and its certificate, cut to fit the figure's width.
    var phantomLine: String {
        let line = "phantom \(phantom)" + (certificate.map { " · certificate \($0)" } ?? "")
        return line.count > 180 ? String(line.prefix(179)) + "…" : line
    }
}

/// A figure of measured ROIs, at most 1280 px wide, under a header (scanner, date, phantom,
/// status): per panel the whole slice (grey window −1000…+1000 HU) with each ROI outlined and
/// framed, a zoomed tile per ROI (window −250…+450 HU) numbered in its corner, a scale bar on
/// every picture, and the numbered labels listed beneath, where no two can collide.
/// Written as SVG (images embedded, outlines and text as vectors) or PNG (the same picture
/// without text; the header and labels ride along as iTXt chunks).
public struct Overlay: Sendable {
    public var header: OverlayHeader
    public var panels: [OverlayPanel]

    public init(header: OverlayHeader, panels: [OverlayPanel]) {
        self.header = header
        self.panels = panels
    }

    /// Grey windows (lower, upper HU): whole slice and inset.
    static let fullWindow = (-1000.0, 1000.0)
    static let insetWindow = (-250.0, 450.0)

    /// The figure in SVG.
    public func svg(volume: Volume) -> String { OverlaySVG.render(OverlayLayout(self, geometry: volume.geometry), volume: volume) }

    /// The figure in PNG.
    public func png(volume: Volume) throws -> [UInt8] { try OverlayRaster.render(OverlayLayout(self, geometry: volume.geometry), volume: volume) }

    /// Writes SVG, or PNG for a `.png` name.
    public func data(volume: Volume, forPath path: String) throws -> [UInt8] {
        path.lowercased().hasSuffix(".png") ? try png(volume: volume) : Array(svg(volume: volume).utf8)
    }
}

/// Number formatting for figure labels: one decimal, never NaN.
public enum OverlayText {
    public static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "n/a" }
        return String(format: "%.1f", v)
    }
}
