import Foundation
import QCTCore

/// Whether a saved calibration may be applied to another series
/// (asynchronous calibration, domain reference §3): same scanner (serial,
/// station, manufacturer, model), kVp, kernel, reconstruction diameter and
/// table height, and not older than the QC interval.
public enum CalibrationValidity {
    /// Each reason the calibration does not apply; empty when it does.
    public static func mismatches(saved: CalibrationReport, scanner: ScannerIdentity, protocolUsed p: AcquisitionProtocol,
                                  maximumAgeDays: Double) -> [String] {
        var out: [String] = []
        func compare(_ what: String, _ a: String?, _ b: String?) {
            let x = a?.trimmingCharacters(in: .whitespaces) ?? "", y = b?.trimmingCharacters(in: .whitespaces) ?? ""
            if x != y { out.append("\(what) differs: calibration \(x.isEmpty ? "(none)" : x), series \(y.isEmpty ? "(none)" : y)") }
        }
        func compare(_ what: String, _ a: Double?, _ b: Double?, unit: String, tolerance: Double) {
            switch (a, b) {
            case let (x?, y?) where abs(x - y) > tolerance:
                out.append("\(what) differs: calibration \(num(x)) \(unit), series \(num(y)) \(unit)")
            case (nil, _?), (_?, nil):
                out.append("\(what) known for only one of calibration (\(a.map { num($0) } ?? "none")) and series (\(b.map { num($0) } ?? "none"))")
            default: break
            }
        }
        compare("Device Serial Number", saved.scanner.deviceSerialNumber, scanner.deviceSerialNumber)
        compare("Station Name", saved.scanner.stationName, scanner.stationName)
        compare("Manufacturer", saved.scanner.manufacturer, scanner.manufacturer)
        compare("Model", saved.scanner.model, scanner.model)
        compare("kVp", saved.protocolUsed.kvp, p.kvp, unit: "kV", tolerance: 0.5)
        compare("kernel", saved.protocolUsed.kernel, p.kernel)
        compare("reconstruction diameter", saved.protocolUsed.reconstructionDiameterMM, p.reconstructionDiameterMM, unit: "mm", tolerance: 0.5)
        compare("table height", saved.protocolUsed.tableHeightMM, p.tableHeightMM, unit: "mm", tolerance: 1)
        let calibrated = DicomDateTime.seconds(saved.protocolUsed.acquisitionDateTime)
        let acquired = DicomDateTime.seconds(p.acquisitionDateTime)
        if let c = calibrated, let a = acquired {
            let days = (a - c) / 86_400
            if days > maximumAgeDays {
                out.append(String(format: "calibration is %.1f days older than the series (limit %@ days)", days, num(maximumAgeDays)))
            } else if days < -1.0 / 24 {
                out.append(String(format: "calibration was acquired %.1f days after the series", -days))
            }
        } else {
            out.append("acquisition date missing from the \(calibrated == nil ? "calibration" : "series"): its age cannot be checked")
        }
        return out
    }
}
