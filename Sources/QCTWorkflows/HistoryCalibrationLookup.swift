import Foundation
import QCTCore
import QCTDICOM
import QCTPatient
import QCTPhantoms
import QCTQualityControl

/// Asynchronous calibration of a series from the QC history (`--calibration history`): the
/// phantom calibrations stored for the series' scanner, read back with the protocol each was
/// scanned with, and the one `HistoryCalibrationChoice` accepts.
public enum HistoryCalibrationLookup {
    /// The keys the series must be matched on.
    public static func need(of series: Series) -> CalibrationNeed {
        CalibrationNeed(deviceSerialNumber: series.scanner.deviceSerialNumber, kvp: series.acquisition.kvp,
                        kernel: series.acquisition.kernel, reconstructionDiameterMM: series.acquisition.reconstructionDiameterMM,
                        tableHeightMM: series.acquisition.tableHeightMM,
                        acquired: DicomDateTime.iso(series.acquisition.acquisitionDateTime) ?? "")
    }

    /// Chooses the calibration for `need` from `store` (the 500 most recent of its scanner).
    public static func choose(_ need: CalibrationNeed, store: any QCHistoryStore, tolerances: PatientPolicy.HistoryCalibration,
                              maxAgeDays: Double?) throws(WorkflowFailure) -> Result<HistoryCalibrationChoice, HistoryCalibrationChoice.Refusal> {
        let rows: [QCStoredCalibration]
        if let serial = need.deviceSerialNumber, !serial.isEmpty {
            do { rows = try store.calibrations(serial: serial, limit: 500) } catch { throw WorkflowFailure("QC history: \(error)") }
        } else {
            rows = []
        }
        return HistoryCalibrationChoice.choose(from: rows.compactMap(candidate), for: need, tolerances: tolerances, maxAgeDays: maxAgeDays)
    }

    /// A stored result as a calibration: its fit as BMD = slope · HU + intercept, and the protocol its
    /// analysis recorded. Nil when the fit's metrics are incomplete.
    static func candidate(_ row: QCStoredCalibration) -> StoredCalibration? {
        let slope: Double, intercept: Double
        if let s = row.fit["sigmaCT"], let b = row.fit["betaCT"], s != 0 {
            (slope, intercept) = (1 / s, -b / s)
        } else if let s = row.fit["slope"], let i = row.fit["intercept"] {
            (slope, intercept) = (s, i)
        } else {
            return nil
        }
        // Both analyses a QC result keeps (a calibration report, an ESP measurement) carry the
        // scanner and the protocol at their top level.
        struct Keys: Decodable {
            var scanner: ScannerIdentity?
            var protocolUsed: AcquisitionProtocol?
            enum CodingKeys: String, CodingKey { case scanner, protocolUsed = "protocol" }
        }
        let keys = try? JSONDecoder().decode(Keys.self, from: Data(row.provenance.utf8))
        let p = keys?.protocolUsed
        return StoredCalibration(resultID: row.resultID, scanner: row.scanner, deviceSerialNumber: keys?.scanner?.deviceSerialNumber ?? row.serial,
                                 acquired: row.acquired, phantom: row.phantom, certificate: row.certificate, analysisVersion: row.analysisVersion,
                                 state: row.state.rawValue, calibrationStatus: row.calibrationStatus, kvp: p?.kvp, kernel: p?.kernel,
                                 reconstructionDiameterMM: p?.reconstructionDiameterMM, tableHeightMM: p?.tableHeightMM,
                                 sigmaCT: row.fit["sigmaCT"], betaCT: row.fit["betaCT"], slope: slope, intercept: intercept)
    }
}
