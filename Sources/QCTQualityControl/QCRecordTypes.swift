import Foundation
import QCTCore
import QCTStatistics

/// One metric of a QC result, in its unit.
public struct QCMetric: Codable, Hashable, Sendable {
    public var name: String
    public var unit: String
    public var value: Double
    /// Judged by the control rules (else stored only, e.g. R²).
    public var judged: Bool
    /// Shewhart limit as a fraction of the target, where a percentage means something.
    public var percentLimit: Double?
    /// Primary metrics get the whole Westgard multirule; secondary ones 1₂s, 1₃s and CUSUM.
    public var primary: Bool

    public init(name: String, unit: String, value: Double, judged: Bool = true, percentLimit: Double? = nil, primary: Bool = true) {
        self.name = name
        self.unit = unit
        self.value = value
        self.judged = judged
        self.percentLimit = percentLimit
        self.primary = primary
    }
}

extension ScannerIdentity {
    /// Manufacturer, model, serial and station joined: one scanner's identity in the QC history
    /// (software version and institution may change without making it another scanner).
    public var trendingKey: String { [manufacturer, model, deviceSerialNumber, stationName].map { $0 ?? "" }.joined(separator: "|") }
}

/// What `qct qc record` stores for one series.
public struct QCResultInput: Sendable {
    public var scanner: ScannerIdentity
    /// Protocol key (kVp, kernel): results are compared only within one protocol and kind.
    public var protocolKey: String
    /// "pad", "qa", "esp", "rods".
    public var kind: String
    public var phantom: String
    public var certificate: String?
    /// Acquisition date and time, ISO 8601.
    public var acquired: String
    public var seriesInstanceUID: String
    public var analysisVersion: String
    public var source: String
    /// pass / warn / fail of the calibration's own checks.
    public var calibrationStatus: String
    /// The full analysis (JSON) this result came from.
    public var provenance: String
    public var metrics: [QCMetric]
    /// The overlay picture of what was measured (SVG, UTF-8), shown with the result; nil when none was drawn.
    public var picture: [UInt8]?

    public init(scanner: ScannerIdentity, protocolKey: String, kind: String, phantom: String, certificate: String?, acquired: String,
                seriesInstanceUID: String, analysisVersion: String, source: String, calibrationStatus: String, provenance: String,
                metrics: [QCMetric]) {
        self.scanner = scanner
        self.protocolKey = protocolKey
        self.kind = kind
        self.phantom = phantom
        self.certificate = certificate
        self.acquired = acquired
        self.seriesInstanceUID = seriesInstanceUID
        self.analysisVersion = analysisVersion
        self.source = source
        self.calibrationStatus = calibrationStatus
        self.provenance = provenance
        self.metrics = metrics
    }
}

/// How a metric was judged when its result was recorded (kept forever).
public struct QCMetricJudgement: Codable, Hashable, Sendable {
    public var name: String
    public var unit: String
    public var value: Double
    public var target: Double?
    public var sd: Double?
    public var z: Double?
    public var state: ControlState
    public var fired: [String]

    public init(name: String, unit: String, value: Double, target: Double?, sd: Double?, z: Double?, state: ControlState, fired: [String]) {
        self.name = name
        self.unit = unit
        self.value = value
        self.target = target
        self.sd = sd
        self.z = z
        self.state = state
        self.fired = fired
    }
}

/// What recording did.
public enum QCRecordOutcome: Sendable {
    /// The series was already in the database: nothing stored.
    case duplicate(recordedAt: String, scanner: String, acquired: String)
    case stored(QCStoredResult)
}

/// A stored result with its judgement.
public struct QCStoredResult: Codable, Sendable {
    public var id: Int64
    public var scanner: String
    public var protocolKey: String
    public var kind: String
    public var phantom: String
    public var acquired: String
    public var seriesInstanceUID: String
    public var state: ControlState
    /// "metric: rule" for every rule that fired.
    public var fired: [String]
    public var baselineID: Int64?
    /// Scans in the baseline so far and needed ("baseline 3 of 15").
    public var baselineProgress: [Int]?
    public var metrics: [QCMetricJudgement]
    public var analysisVersion: String
    public var certificate: String?
    /// The site the scanner belongs to, in a network's shared history (nil on a node's own file).
    public var site: String?

    public init(id: Int64, scanner: String, protocolKey: String, kind: String, phantom: String, acquired: String, seriesInstanceUID: String, state: ControlState, fired: [String], baselineID: Int64?, baselineProgress: [Int]?, metrics: [QCMetricJudgement], analysisVersion: String, certificate: String?) {
        self.id = id
        self.scanner = scanner
        self.protocolKey = protocolKey
        self.kind = kind
        self.phantom = phantom
        self.acquired = acquired
        self.seriesInstanceUID = seriesInstanceUID
        self.state = state
        self.fired = fired
        self.baselineID = baselineID
        self.baselineProgress = baselineProgress
        self.metrics = metrics
        self.analysisVersion = analysisVersion
        self.certificate = certificate
    }
}

/// A service event on a scanner.
public struct QCEvent: Codable, Sendable {
    /// Database id (what `qc event --delete` takes).
    public var id: Int64?
    public var scanner: String
    public var at: String
    public var description: String
    /// When and why it was deleted; nil while it stands.
    public var deletedAt: String?
    public var deleteReason: String?

    public init(id: Int64? = nil, scanner: String, at: String, description: String, deletedAt: String? = nil, deleteReason: String? = nil) {
        self.id = id
        self.scanner = scanner
        self.at = at
        self.description = description
        self.deletedAt = deletedAt
        self.deleteReason = deleteReason
    }
}

/// A completed or collecting baseline.
public struct QCBaseline: Codable, Sendable {
    public var id: Int64
    public var scanner: String
    public var protocolKey: String
    public var kind: String
    public var reason: String
    public var size: Int
    public var startedAt: String
    public var complete: Bool
    /// Per metric: mean, SD, n.
    public var metrics: [String: [Double]]

    public init(id: Int64, scanner: String, protocolKey: String, kind: String, reason: String, size: Int, startedAt: String, complete: Bool, metrics: [String: [Double]]) {
        self.id = id
        self.scanner = scanner
        self.protocolKey = protocolKey
        self.kind = kind
        self.reason = reason
        self.size = size
        self.startedAt = startedAt
        self.complete = complete
        self.metrics = metrics
    }
}

/// One metric value with its stored judgement, for charts and export.
public struct QCPoint: Codable, Sendable {
    public var scanner: String
    public var serial: String?
    public var acquired: String
    public var seriesInstanceUID: String
    public var protocolKey: String
    public var kind: String
    public var phantom: String
    public var certificate: String?
    public var analysisVersion: String
    public var metric: String
    public var unit: String
    public var value: Double
    public var target: Double?
    public var sd: Double?
    public var z: Double?
    public var state: ControlState
    public var fired: [String]
    public var baselineID: Int64?
    public var resultState: ControlState

    public init(scanner: String, serial: String?, acquired: String, seriesInstanceUID: String, protocolKey: String, kind: String, phantom: String, certificate: String?, analysisVersion: String, metric: String, unit: String, value: Double, target: Double?, sd: Double?, z: Double?, state: ControlState, fired: [String], baselineID: Int64?, resultState: ControlState) {
        self.scanner = scanner
        self.serial = serial
        self.acquired = acquired
        self.seriesInstanceUID = seriesInstanceUID
        self.protocolKey = protocolKey
        self.kind = kind
        self.phantom = phantom
        self.certificate = certificate
        self.analysisVersion = analysisVersion
        self.metric = metric
        self.unit = unit
        self.value = value
        self.target = target
        self.sd = sd
        self.z = z
        self.state = state
        self.fired = fired
        self.baselineID = baselineID
        self.resultState = resultState
    }
}

/// A stored phantom calibration, for asynchronous calibration of later scans: the result, its
/// judgement, its fit's metrics and the analysis (JSON) that names the scanner and protocol.
public struct QCStoredCalibration: Sendable {
    public var resultID: Int64
    public var scanner: String
    public var serial: String?
    public var acquired: String
    public var phantom: String
    public var certificate: String?
    public var analysisVersion: String
    public var state: ControlState
    public var calibrationStatus: String
    /// sigmaCT and betaCT, or slope and intercept, by name.
    public var fit: [String: Double]
    public var provenance: String

    public init(resultID: Int64, scanner: String, serial: String?, acquired: String, phantom: String, certificate: String?,
                analysisVersion: String, state: ControlState, calibrationStatus: String, fit: [String: Double], provenance: String) {
        self.resultID = resultID
        self.scanner = scanner
        self.serial = serial
        self.acquired = acquired
        self.phantom = phantom
        self.certificate = certificate
        self.analysisVersion = analysisVersion
        self.state = state
        self.calibrationStatus = calibrationStatus
        self.fit = fit
        self.provenance = provenance
    }
}
