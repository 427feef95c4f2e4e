import Foundation
import QCTStatistics

/// A result a physicist rejected (a phantom misplaced, the wrong protocol, a scan repeated): it
/// stays in the history with who rejected it, when and why, but no longer counts. It leaves the
/// baseline it belonged to (whose statistics are recomputed without it), the control-rule windows
/// of later results, the charts and the scanner's state. Judgements already stored are kept,
/// as with a deleted service event.
public struct QCRejection: Codable, Sendable, Equatable {
    public var resultID: Int64
    public var scanner: String
    public var acquired: String
    public var seriesInstanceUID: String
    public var kind: String
    public var protocolKey: String
    /// The state it had been judged.
    public var state: ControlState
    public var rejectedAt: String
    public var rejectedBy: String
    public var reason: String

    public init(resultID: Int64, scanner: String, acquired: String, seriesInstanceUID: String, kind: String, protocolKey: String,
                state: ControlState, rejectedAt: String, rejectedBy: String, reason: String) {
        self.resultID = resultID
        self.scanner = scanner
        self.acquired = acquired
        self.seriesInstanceUID = seriesInstanceUID
        self.kind = kind
        self.protocolKey = protocolKey
        self.state = state
        self.rejectedAt = rejectedAt
        self.rejectedBy = rejectedBy
        self.reason = reason
    }
}
