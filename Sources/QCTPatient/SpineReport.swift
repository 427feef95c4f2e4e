import QCTCalibration
import QCTCore
import QCTPhantoms

/// Where a patient's HU → mg/cm³ line came from (domain reference §3, §12).
public struct SpineCalibration: Codable, Sendable {
    public enum Method: String, Codable, Sendable {
        /// A calibration phantom in the same scan.
        case sameScan = "same-scan"
        /// A phantom calibration of the QC history (asynchronous).
        case history
        /// The patient's own tissues (phantomless).
        case `internal`
        /// A calibration saved by `qct calibrate --save`.
        case file
    }
    public var method: Method
    /// BMD = slope · HU + intercept, mg/cm³ per HU and mg/cm³.
    public var slope: Double
    public var intercept: Double
    public var phantom: String?
    public var certificate: String?
    public var sigmaCT: Double?
    public var betaCT: Double?
    /// The fit's own status (pass, warn, fail) where a phantom was fitted.
    public var status: String?
    public var file: String?
    public var history: HistoryCalibrationChoice?
    public var internalCalibration: InternalCalibration?
    /// The tissue ROIs placed for internal calibration, as measured.
    public var tissues: [TissueSample]?
    /// One line for people.
    public var summary: String

    public init(method: Method, slope: Double, intercept: Double, summary: String) {
        self.method = method
        self.slope = slope
        self.intercept = intercept
        self.summary = summary
    }
}

/// One vertebra of the report: where it was found and read, and its BMD.
public struct SpineVertebra: Codable, Sendable {
    public var reading: PatientVertebra
    /// mg/cm³ (K2HPO4-equivalent unless the calibration says HA); nil with `bmdMissing`.
    public var bmd: Double?
    public var bmdMissing: String?
}

/// The mean of two vertebrae and its ACR category.
public struct SpineSummary: Codable, Sendable {
    public var vertebrae: [String]
    public var meanBMD: Double
    public var category: SpineCategory
    public var categoryRange: String
}

/// A patient's spine trabecular BMD (domain reference §13).
public struct SpineReport: Codable, Sendable {
    public var schema = "qct-spine-report/1"
    public var analysisVersion: String
    public var path: String
    public var seriesInstanceUID: String
    public var acquired: String?
    public var scanner: ScannerIdentity
    public var protocolUsed: AcquisitionProtocol
    /// Nil when the report is anonymised.
    public var patient: PatientIdentity?
    public var unit: String
    public var calibration: SpineCalibration
    public var vertebrae: [SpineVertebra]
    public var naming: String
    public var summary: SpineSummary?
    public var summaryMissing: String?
    public var noTScore = SpineCategory.noTScore
    public var followUp: SpineFollowUp?
    /// Why there is no follow-up (no Patient ID, no earlier exam kept).
    public var followUpMissing: String?

    enum CodingKeys: String, CodingKey {
        case schema, analysisVersion, path, seriesInstanceUID, acquired, scanner, patient, unit, calibration, vertebrae, naming,
             summary, summaryMissing, noTScore, followUp, followUpMissing
        case protocolUsed = "protocol"
    }

    /// BMD of every vertebra read, and the mean of the first two measurable ones in `policy.spine.reported` order.
    public init(path: String, seriesInstanceUID: String, acquired: String?, scanner: ScannerIdentity, protocolUsed: AcquisitionProtocol,
                patient: PatientIdentity?, spine: PatientSpine, calibration: SpineCalibration, policy: PatientPolicy) {
        analysisVersion = QCTVersion.string
        self.path = path
        self.seriesInstanceUID = seriesInstanceUID
        self.acquired = acquired
        self.scanner = scanner
        self.protocolUsed = protocolUsed
        self.patient = patient
        unit = calibration.internalCalibration?.output == .hydroxyapatite ? "mg HA/cm3" : "mg K2HPO4/cm3"
        self.calibration = calibration
        naming = spine.naming
        vertebrae = spine.vertebrae.map { v in
            var out = SpineVertebra(reading: v)
            if let hu = v.meanHU, hu.isFinite {
                out.bmd = calibration.slope * hu + calibration.intercept
            } else {
                out.bmdMissing = v.missing ?? "not read"
            }
            return out
        }
        let measurable = policy.spine.reported.compactMap { name in vertebrae.first { $0.reading.name == name && $0.bmd != nil } }
        if measurable.count >= 2 {
            let two = Array(measurable.prefix(2))
            let mean = (two[0].bmd! + two[1].bmd!) / 2
            if let category = SpineCategory.of(mean, policy.categories) {
                summary = SpineSummary(vertebrae: two.compactMap(\.reading.name), meanBMD: mean, category: category,
                                       categoryRange: category.range(policy.categories))
            }
        } else {
            summaryMissing = vertebrae.contains(where: { $0.reading.name != nil })
                ? "fewer than two of \(policy.spine.reported.joined(separator: ", ")) could be measured"
                : "the vertebrae could not be named (\(spine.naming)), so no L1–L2 mean is given"
        }
    }
}

/// The change since an earlier exam of the same patient.
public struct SpineFollowUp: Codable, Sendable {
    public var earlierAcquired: String?
    public var earlierSeriesInstanceUID: String
    /// Per named vertebra, and of the reported mean (when both exams have it).
    public var vertebrae: [String: FollowUp]
    public var mean: FollowUp?
    /// Why significance is not judged (no precision study named or found).
    public var lscMissing: String?

    public init(earlierAcquired: String?, earlierSeriesInstanceUID: String, vertebrae: [String: FollowUp], mean: FollowUp?, lscMissing: String?) {
        self.earlierAcquired = earlierAcquired
        self.earlierSeriesInstanceUID = earlierSeriesInstanceUID
        self.vertebrae = vertebrae
        self.mean = mean
        self.lscMissing = lscMissing
    }
}

extension SpineFollowUp {
    /// The change from an earlier exam's BMDs (per vertebra name, and its mean of `earlierMeanOf`) to this report's.
    public static func between(earlier vertebrae: [String: Double], earlierMean: Double?, earlierMeanOf: [String], acquired: String?,
                               series: String, now report: SpineReport, lsc: LeastSignificantChange?, lscMissing: String?) -> SpineFollowUp {
        var changes: [String: FollowUp] = [:]
        for v in report.vertebrae {
            guard let name = v.reading.name, let now = v.bmd, let before = vertebrae[name] else { continue }
            changes[name] = FollowUp(earlier: before, current: now, lsc: lsc)
        }
        var mean: FollowUp?
        if let s = report.summary, let before = earlierMean, s.vertebrae == earlierMeanOf {
            mean = FollowUp(earlier: before, current: s.meanBMD, lsc: lsc)
        }
        return SpineFollowUp(earlierAcquired: acquired, earlierSeriesInstanceUID: series, vertebrae: changes, mean: mean, lscMissing: lscMissing)
    }
}
