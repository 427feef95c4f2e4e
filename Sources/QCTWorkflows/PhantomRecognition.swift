import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport
import QCTQualityControl

/// What a daily QC series holds, analysed and turned into the metrics the QC policy names:
/// an ESP lying on the calibration pad (measured, calibrated by the pad), or a calibration or
/// QA phantom alone (the best-fitting one of the catalog).
public struct PhantomRecognition: Sendable {
    public let measurement: SpineMeasurement
    public let policy: QCPolicy
    /// Whether each result keeps its overlay picture (the ROIs on the slice, SVG) for the dashboard.
    public var drawsPicture = true

    public init(measurement: SpineMeasurement) throws(WorkflowFailure) {
        guard let policy = measurement.catalog.qcPolicy else {
            throw WorkflowFailure("no QC policy (qct-qc-policy/1) among the phantom files; qc-policy.json in the phantom folder names the metrics")
        }
        self.measurement = measurement
        self.policy = policy
    }

    /// The metrics of one analysed series. `refused`: files refused while reading (a gap they leave is a
    /// WARN check; `warnings` gets its line). Nil, with the reason sent to `report`, when nothing fits.
    public func analyse(_ volume: Volume, info: Series, folder: String, refused: [RejectedFile] = [],
                        warnings: inout [String], report: DiagnosticSink) -> QCResultInput? {
        guard let acquired = DicomDateTime.iso(info.acquisition.acquisitionDateTime) else {
            report(Diagnostic(.refused, path: folder, "no acquisition date and time in the series; a QC result needs one"))
            return nil
        }
        let scanner = info.scanner
        let p = info.acquisition
        let protocolKey = "\(p.kvp.map { num($0) } ?? "?") kV, kernel \(p.kernel ?? "?")"
        // An ESP lying on the pad: measure it (its calibration comes from the pad).
        let spine = measurement.locate(volume)
        esp: if spine.segments.count >= 2 {
            do {
                let result = try measurement.measure(volume, series: info, path: folder, search: spine, refused: refused)
                // A column of bone with none of the ESP's vertebrae in it is not an ESP (a patient's spine,
                // with or without a pad under it): it goes on as any other scan.
                guard result.vertebrae.contains(where: { $0.missing == nil }) else {
                    warnings.append("\(folder): a column of bone but none of the ESP's vertebrae: analysed as a scan without an ESP")
                    break esp
                }
                warnings += result.checks.filter { $0.name == "slice gap" }.map { "\(folder): slice gap: \($0.detail)" }
                guard let cal = result.calibration, let fit = cal.fit else {
                    report(Diagnostic(.refused, path: folder, "ESP found but no calibration: " + result.checks.filter { $0.status == .fail }.map(\.detail).joined(separator: "; ")))
                    return nil
                }
                var values = calibrationValues(fit: fit, rods: cal.rods)
                for v in result.vertebrae {
                    guard let bmd = v.bmd else {
                        report(Diagnostic(.refused, path: folder, "\(v.name) \(v.missing ?? "not measured"); the ESP result is incomplete"))
                        return nil
                    }
                    values.append(("\(v.name) BMD", bmd))
                }
                var input = QCResultInput(scanner: scanner, protocolKey: protocolKey, kind: "esp on \(cal.phantom)", phantom: result.phantom,
                                          certificate: [result.certificate, cal.certificate].compactMap { $0 }.joined(separator: "; "),
                                          acquired: acquired, seriesInstanceUID: info.seriesInstanceUID, analysisVersion: QCTVersion.string,
                                          source: folder, calibrationStatus: cal.status.rawValue, provenance: (try? jsonString(result)) ?? "{}",
                                          metrics: metrics(values))
                if drawsPicture { input.picture = Array(OverlayFigures.measurement(MeasuredSeries(series: info, volume: volume, report: result)).svg(volume: volume).utf8) }
                return input
            } catch {
                report(Diagnostic(.refused, "\(error)"))
                return nil
            }
        }
        // A calibration or QA phantom alone: the best-fitting one of the catalog.
        let catalog = measurement.catalog, options = measurement.options
        let ids = CalibrationPhantoms.ids(catalog)
        let best = CalibrationPhantoms.best(in: volume, catalog: catalog,
                                            serials: options.calibrationSerial.map { [options.calibrationPhantom: $0] } ?? [:])
        if case (var result, let fit)? = best {
            let gaps = SliceGapCheck.apply(to: &result, info, refused: refused)
            warnings += gaps.map { "\(folder): slice gap: \($0.detail)" }
            let calibration = CalibrationReport(result: result, series: info.identity)
            var input = QCResultInput(scanner: scanner, protocolKey: protocolKey, kind: result.phantom, phantom: result.phantom,
                                      certificate: result.certificate, acquired: acquired, seriesInstanceUID: info.seriesInstanceUID,
                                      analysisVersion: QCTVersion.string, source: folder, calibrationStatus: result.status.rawValue,
                                      provenance: (try? calibration.jsonString()) ?? "{}", metrics: metrics(calibrationValues(fit: fit, rods: result.rods)))
            if drawsPicture {
                let name = catalog.phantoms[result.phantom]?.name ?? result.phantom
                input.picture = Array(OverlayFigures.calibration(result, series: info, geometry: volume.geometry, phantomName: name, tool: "qct qc record")
                    .svg(volume: volume).utf8)
            }
            return input
        }
        report(Diagnostic(.refused, path: folder, "no calibration phantom or ESP recognised (tried \(ids.joined(separator: ", ")))",
                          notAPhantomScan: true))
        return nil
    }

    /// σ_CT, β_CT (or slope, intercept), R² and each rod's mean HU.
    func calibrationValues(fit: CalibrationFit, rods: [CalibratedRod]) -> [(String, Double)] {
        var out: [(String, Double)] = []
        if let s = fit.sigmaCT, let b = fit.betaCT {
            out += [("sigmaCT", s), ("betaCT", b)]
        } else {
            out += [("slope", fit.slope), ("intercept", fit.intercept)]
        }
        out.append(("R2", fit.r2))
        for r in rods where r.meanHU.isFinite { out.append(("rod \(r.name)", r.meanHU)) }
        return out
    }

    /// Named values as metrics, with unit, limit and weight from the policy; a name the policy
    /// does not know is stored with no unit and not judged.
    func metrics(_ values: [(String, Double)]) -> [QCMetric] {
        values.map { name, value in
            guard let rule = policy.rule(for: name) else { return QCMetric(name: name, unit: "", value: value, judged: false) }
            return QCMetric(name: name, unit: rule.unit, value: value, judged: rule.judged, percentLimit: rule.percentLimit, primary: rule.primary)
        }
    }
}
