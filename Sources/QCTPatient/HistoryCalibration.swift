import QCTCore
import QCTPhantoms

/// A phantom calibration kept in the QC history, with what asynchronous use must match
/// (domain reference §3, §9).
public struct StoredCalibration: Codable, Sendable, Equatable {
    /// The QC result it belongs to.
    public var resultID: Int64
    /// The scanner's label in the history, and its Device Serial Number.
    public var scanner: String
    public var deviceSerialNumber: String?
    /// Acquisition date and time, ISO (scanner local time).
    public var acquired: String
    public var phantom: String
    public var certificate: String?
    public var analysisVersion: String
    /// The QC judgement (`baseline`, `in control`, `warning`, `out of control`) and the fit's own status (pass, warn, fail).
    public var state: String
    public var calibrationStatus: String
    public var kvp: Double?
    public var kernel: String?
    public var reconstructionDiameterMM: Double?
    public var tableHeightMM: Double?
    /// σ_CT (HU per mg/cm³) and β_CT (HU) of a two-component fit, when it was one.
    public var sigmaCT: Double?
    public var betaCT: Double?
    /// BMD = slope · HU + intercept, mg/cm³.
    public var slope: Double
    public var intercept: Double

    public init(resultID: Int64, scanner: String, deviceSerialNumber: String?, acquired: String, phantom: String, certificate: String?,
                analysisVersion: String, state: String, calibrationStatus: String, kvp: Double?, kernel: String?,
                reconstructionDiameterMM: Double?, tableHeightMM: Double?, sigmaCT: Double?, betaCT: Double?, slope: Double, intercept: Double) {
        self.resultID = resultID
        self.scanner = scanner
        self.deviceSerialNumber = deviceSerialNumber
        self.acquired = acquired
        self.phantom = phantom
        self.certificate = certificate
        self.analysisVersion = analysisVersion
        self.state = state
        self.calibrationStatus = calibrationStatus
        self.kvp = kvp
        self.kernel = kernel
        self.reconstructionDiameterMM = reconstructionDiameterMM
        self.tableHeightMM = tableHeightMM
        self.sigmaCT = sigmaCT
        self.betaCT = betaCT
        self.slope = slope
        self.intercept = intercept
    }

    /// A calibration that passed: its fit did not fail and QC did not judge it out of control.
    /// (Results withdrawn as rejected never reach here.)
    public var passed: Bool { calibrationStatus != "fail" && state != "out of control" }
}

/// What the patient's series was acquired with: the keys an asynchronous calibration must match.
public struct CalibrationNeed: Codable, Sendable, Equatable {
    public var deviceSerialNumber: String?
    public var kvp: Double?
    public var kernel: String?
    public var reconstructionDiameterMM: Double?
    public var tableHeightMM: Double?
    /// Acquisition date and time, ISO.
    public var acquired: String

    public init(deviceSerialNumber: String?, kvp: Double?, kernel: String?, reconstructionDiameterMM: Double?,
                tableHeightMM: Double?, acquired: String) {
        self.deviceSerialNumber = deviceSerialNumber
        self.kvp = kvp
        self.kernel = kernel
        self.reconstructionDiameterMM = reconstructionDiameterMM
        self.tableHeightMM = tableHeightMM
        self.acquired = acquired
    }
}

/// The calibration chosen from the history for a patient's series, and how old it was.
public struct HistoryCalibrationChoice: Codable, Sendable, Equatable {
    public var calibration: StoredCalibration
    /// Time from the calibration to the patient's scan, days (negative: the phantom was scanned after).
    public var ageDays: Double
    /// The tolerances it was chosen under.
    public var maxAgeDays: Double
    public var tolerances: PatientPolicy.HistoryCalibration

    /// Why no calibration of the history could be used.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        /// The nearest candidates and what each failed on (at most five).
        public var candidates: [String]
        public var description: String {
            candidates.isEmpty ? reason : reason + ": " + candidates.joined(separator: "; ")
        }
    }

    /// Picks the calibration for `need` (asynchronous calibration, domain reference §3; Mindways
    /// CliniQCT, FDA K140342: the phantom scanned on the same scanner in a substantially similar mode,
    /// before or after the patient). A candidate must have passed QC, be of the same device serial,
    /// the same kernel, kVp, reconstruction diameter and table height within tolerance, and be no more
    /// than `maxAgeDays` from the patient's scan. Of those, the latest one scanned at or before the
    /// patient is taken; when none was, the earliest one after.
    public static func choose(from candidates: [StoredCalibration], for need: CalibrationNeed,
                              tolerances: PatientPolicy.HistoryCalibration, maxAgeDays: Double? = nil) -> Result<HistoryCalibrationChoice, Refusal> {
        let maxAge = maxAgeDays ?? tolerances.maxAgeDays
        guard let patientTime = DicomDateTime.seconds(need.acquired) else {
            return .failure(Refusal(reason: "the series has no acquisition date and time, so no calibration's age can be known", candidates: []))
        }
        guard let serial = need.deviceSerialNumber, !serial.isEmpty else {
            return .failure(Refusal(reason: "the series names no Device Serial Number (0018,1000), so no calibration can be matched to its scanner", candidates: []))
        }
        var matches: [(StoredCalibration, Double)] = []
        var misses: [(Double, String)] = []
        for c in candidates {
            let age = DicomDateTime.seconds(c.acquired).map { (patientTime - $0) / 86_400 }
            let problems = mismatches(c, need: need, serial: serial, tolerances: tolerances, age: age, maxAge: maxAge)
            if problems.isEmpty, let age { matches.append((c, age)) } else {
                misses.append((abs(age ?? .infinity), "result \(c.resultID) of \(c.acquired): " + problems.joined(separator: ", ")))
            }
        }
        let before = matches.filter { $0.1 >= 0 }.max { $0.1 > $1.1 }
        let after = matches.filter { $0.1 < 0 }.max { $0.1 < $1.1 }
        guard let (chosen, age) = before ?? after else {
            let reason = candidates.isEmpty ? "the QC history holds no phantom calibration" :
                "none of the \(candidates.count) phantom calibrations in the QC history matches this series (device \(serial), \(describe(need)), within \(fmt(maxAge)) days)"
            return .failure(Refusal(reason: reason, candidates: misses.sorted { $0.0 < $1.0 }.prefix(5).map(\.1)))
        }
        return .success(HistoryCalibrationChoice(calibration: chosen, ageDays: age, maxAgeDays: maxAge, tolerances: tolerances))
    }

    /// Everything `c` fails on for `need`; empty when it matches.
    static func mismatches(_ c: StoredCalibration, need: CalibrationNeed, serial: String, tolerances t: PatientPolicy.HistoryCalibration,
                           age: Double?, maxAge: Double) -> [String] {
        var out: [String] = []
        if c.deviceSerialNumber != serial { out.append("device serial \(c.deviceSerialNumber ?? "none") is not \(serial)") }
        if !c.passed { out.append("did not pass QC (\(c.state), fit \(c.calibrationStatus))") }
        if !near(c.kvp, need.kvp, t.kvpToleranceKV) { out.append("kVp \(text(c.kvp)) is not \(text(need.kvp)) ± \(fmt(t.kvpToleranceKV))") }
        if c.kernel == nil || c.kernel != need.kernel { out.append("kernel \(c.kernel ?? "none") is not \(need.kernel ?? "none")") }
        if !near(c.reconstructionDiameterMM, need.reconstructionDiameterMM, t.reconstructionDiameterToleranceMM) {
            out.append("reconstruction diameter \(text(c.reconstructionDiameterMM)) mm is not \(text(need.reconstructionDiameterMM)) ± \(fmt(t.reconstructionDiameterToleranceMM)) mm")
        }
        if !near(c.tableHeightMM, need.tableHeightMM, t.tableHeightToleranceMM) {
            out.append("table height \(text(c.tableHeightMM)) mm is not \(text(need.tableHeightMM)) ± \(fmt(t.tableHeightToleranceMM)) mm")
        }
        if let age {
            if abs(age) > maxAge { out.append("\(fmt(abs(age))) days \(age >= 0 ? "before" : "after") the scan, more than \(fmt(maxAge))") }
        } else {
            out.append("no acquisition date")
        }
        return out
    }

    /// Both known and within `tolerance` of each other.
    static func near(_ a: Double?, _ b: Double?, _ tolerance: Double) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= tolerance
    }

    static func text(_ v: Double?) -> String { v.map(fmt) ?? "unknown" }

    static func describe(_ n: CalibrationNeed) -> String {
        "\(text(n.kvp)) kV, kernel \(n.kernel ?? "unknown"), reconstruction diameter \(text(n.reconstructionDiameterMM)) mm, table height \(text(n.tableHeightMM)) mm"
    }
}
