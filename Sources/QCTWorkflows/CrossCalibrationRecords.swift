import Foundation
import QCTQualityControl
import QCTReport

extension ScannerComparison {
    /// Each scanner's correction equation as the history keeps it (`qct compare --record`): against
    /// the reference scanner when there is one (the reference itself is left out), else against
    /// nominal. A scanner whose line cannot be fitted is named in `skipped`.
    public func crossCalibrations() -> (records: [QCCrossCalibration], skipped: [String]) {
        var out: [QCCrossCalibration] = [], skipped: [String] = []
        for reg in regressions where reg.scanner != reference {
            guard let line = reference != nil ? reg.versusReference : reg.versusNominal, line.slope.isFinite, line.slope != 0,
                  let part = precision.scanners.first(where: { $0.scanner == reg.scanner }) else {
                skipped.append("\(reg.scanner): no line could be fitted")
                continue
            }
            out.append(QCCrossCalibration(scanner: reg.scanner, identity: part.identity, from: part.acquired.first ?? "",
                                          to: part.acquired.last ?? "", target: reference ?? "nominal", intercept: line.intercept,
                                          slope: line.slope, r: line.r, points: line.n, unit: unit,
                                          targetUnit: reference == nil ? nominalUnit : unit, analysisVersion: analysisVersion,
                                          series: part.series))
        }
        return (out, skipped)
    }
}

/// The cross-calibration equation in force for a scanner (`qct qc crosscal`): its newest kept
/// version, every version with the service events between it and the next, and whether a service
/// event came after the scans the equation in force was derived from (then it should be re-derived).
public struct CrossCalibrationInForce: Sendable {
    public struct Version: Sendable {
        public var equation: QCCrossCalibration
        /// Service events after this version's scans and before the next version's.
        public var eventsAfter: [QCEvent]
    }

    public var scanner: String
    public var versions: [Version]
    public var inForce: QCCrossCalibration { versions[0].equation }
    /// Service events after the scans of the equation in force.
    public var serviceSince: [QCEvent] { versions[0].eventsAfter }

    public init(store: any QCHistoryStore, scanner: String) throws(WorkflowFailure) {
        let equations: [QCCrossCalibration], events: [QCEvent]
        do {
            equations = try store.crossCalibrations(scanner: scanner)
            events = try store.events(scanner: scanner, deleted: false)
        } catch {
            throw WorkflowFailure(.refused, "\(error)")
        }
        guard let newest = equations.first else {
            throw WorkflowFailure(.refused, "\(scanner): no cross-calibration equation kept (qct compare … --record --db DB keeps one)")
        }
        self.scanner = newest.scanner
        // Newest first: each version's events are those after its scans and up to the next version's scans.
        versions = equations.enumerated().map { i, e in
            let next = i > 0 ? equations[i - 1].to : nil
            return Version(equation: e, eventsAfter: events.filter { event in event.at > e.to && (next.map { event.at <= $0 } ?? true) })
        }
    }

    public var text: String {
        var lines = ["Cross-calibration of \(scanner): version \(inForce.version ?? 0) in force",
                     "  \(inForce.equation)   (r = \(String(format: "%.4f", inForce.r)), \(inForce.points) vertebra means; readings \(inForce.unit), target \(inForce.targetUnit))",
                     "  derived from scans \(inForce.from) – \(inForce.to), kept \(inForce.storedAt ?? "—"), qct \(inForce.analysisVersion)"]
        if !serviceSince.isEmpty {
            lines.append("  RE-DERIVE: service since these scans: " + serviceSince.map { "\($0.at) \($0.description)" }.joined(separator: "; "))
        }
        if versions.count > 1 {
            lines.append("Versions:")
            for v in versions {
                let events = v.eventsAfter.isEmpty ? "" : "  then service: " + v.eventsAfter.map { "\($0.at) \($0.description)" }.joined(separator: "; ")
                lines.append("  v\(v.equation.version ?? 0)  scans \(v.equation.from) – \(v.equation.to)  \(v.equation.equation)\(events)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
