import Foundation
import QCTCore
import QCTDICOM
import QCTReport

/// The overlay figures of what calibrate and measure measured.
public enum OverlayFigures {
    /// The rods' ROIs on the middle slice of the rods.
    public static func calibration(_ c: PhantomCalibration.Calibrated, phantomName: String) -> Overlay {
        calibration(c.result, series: c.series, geometry: c.volume.geometry, phantomName: phantomName)
    }

    /// The rods' ROIs of `result` on the middle slice of the rods.
    public static func calibration(_ result: CalibrationResult, series: Series, geometry: VolumeGeometry, phantomName: String,
                                   tool: String = "qct calibrate") -> Overlay {
        let rods = result.rods
        let mid = rods.isEmpty ? geometry.slices / 2 : rods.map { ($0.sliceRange[0] + $0.sliceRange[1]) / 2 }.sorted()[rods.count / 2]
        let header = OverlayHeader(title: "\(tool): rod ROIs on slice \(mid)", scanner: scannerLabel(series.scanner),
                                   acquired: DicomDateTime.iso(series.acquisition.acquisitionDateTime), phantom: phantomName,
                                   certificate: result.certificate, status: result.status.rawValue)
        return Overlay(header: header, panels: [OverlayPanel(slice: mid, shapes: OverlayShape.rods(rods))])
    }

    /// Each vertebra's ROI on its middle slice; with no vertebra, the same-scan rods on the middle slice.
    public static func measurement(_ m: MeasuredSeries) -> Overlay {
        let report = m.report
        let rods = OverlayShape.rods(report.calibration?.source == .sameScan ? report.calibration?.rods ?? [] : [])
        let panels = report.vertebrae.compactMap { v -> OverlayPanel? in
            guard let roi = v.roi, v.sliceRange.count == 2 else { return nil }
            let shape = OverlayShape(centerMM: (roi.centerMM[0], roi.centerMM[1]), semiAxesMM: (roi.semiAxesMM[0], roi.semiAxesMM[1]),
                                     angleDegrees: roi.angleDegrees,
                                     label: "\(v.name) \(OverlayText.number(v.meanHU)) HU" + (v.bmd.map { " = \(OverlayText.number($0)) mg/cm³" } ?? ""),
                                     warning: false)
            return OverlayPanel(slice: (v.sliceRange[0] + v.sliceRange[1]) / 2, shapes: [shape])
        }
        let header = OverlayHeader(title: "qct measure: trabecular ROIs on each vertebra's middle slice", scanner: scannerLabel(report.scanner),
                                   acquired: report.acquired, phantom: report.phantom, certificate: report.certificate, status: report.status.rawValue)
        return Overlay(header: header, panels: panels.isEmpty ? [OverlayPanel(slice: m.volume.geometry.slices / 2, shapes: rods)] : panels)
    }
}
