import Foundation
import QCTCalibration
import QCTCore
import QCTPatient
import QCTReport

extension OverlayFigures {
    /// Each vertebra's trabecular ROI on its middle ROI slice, and, with internal calibration, the
    /// tissue ROIs on the slice of the first reported vertebra (a circle at a point of each, labelled).
    public static func spine(_ a: PatientSpineAnalysis.Analysed) -> Overlay {
        let g = a.volume.geometry
        var panels: [OverlayPanel] = []
        for (n, v) in a.report.vertebrae.enumerated() where n < a.spine.roiPixels.count {
            let slices = a.spine.roiPixels[n].keys.sorted()
            guard !slices.isEmpty else { continue }
            let k = slices[slices.count / 2]
            guard let e = PatientSpine.ellipse(of: a.spine.roiPixels[n][k] ?? [], slice: k, geometry: g) else { continue }
            let label = "\(v.reading.name ?? "?") \(OverlayText.number(v.reading.meanHU)) HU" + (v.bmd.map { " = \(OverlayText.number($0)) mg/cm³" } ?? "")
            panels.append(OverlayPanel(slice: k, shapes: [OverlayShape(centerMM: e.center, semiAxesMM: e.semiAxes, angleDegrees: e.angle, label: label,
                                                                      warning: v.bmd == nil)]))
        }
        if let tissues = a.tissues, let first = panels.first {
            var shapes: [OverlayShape] = []
            for s in a.report.calibration.tissues ?? [] {
                guard let perSlice = tissues.pixels[s.tissue], let k = perSlice.keys.sorted().min(by: { abs($0 - first.slice) < abs($1 - first.slice) }),
                      let point = PatientSpine.representative(of: perSlice[k] ?? [], slice: k, geometry: g) else { continue }
                let used = a.report.calibration.internalCalibration?.tissues.contains { $0.tissue == s.tissue } ?? false
                shapes.append(OverlayShape(centerMM: point, semiAxesMM: (4, 4), angleDegrees: 0,
                                           label: "\(s.tissue) \(OverlayText.number(s.meanHU)) HU (\(s.voxels) voxels)" + (used ? "" : " — not used"),
                                           warning: !used))
            }
            if !shapes.isEmpty { panels.insert(OverlayPanel(slice: first.slice, shapes: shapes), at: 0) }
        }
        let header = OverlayHeader(title: "qct spine: trabecular ROIs on each vertebra's middle slice", scanner: scannerLabel(a.report.scanner),
                                   acquired: a.report.acquired, phantom: a.report.calibration.summary, certificate: a.report.calibration.certificate,
                                   status: a.report.summary == nil ? "incomplete" : "reported")
        return Overlay(header: header, panels: panels.isEmpty ? [OverlayPanel(slice: g.slices / 2, shapes: [])] : panels)
    }
}
