import Foundation

/// Which metrics daily QC stores and how each is judged, read from `qc-policy.json`
/// (schema `qct-qc-policy/1`) beside the phantoms. Limits follow the domain reference §7:
/// baseline target and SD, Westgard multirules, tabular CUSUM, and the ±1.5 % Shewhart
/// limit of DXA practice where `percentLimit` is given.
public struct QCPolicy: Codable, Sendable, Equatable {
    public struct Metric: Codable, Sendable, Equatable {
        /// A name, or a pattern: `rod *` (every name starting "rod "), `* BMD` (every name ending " BMD").
        public var name: String
        public var unit: String
        /// Fraction of the baseline mean beyond which a value is out of control (e.g. 0.015).
        public var percentLimit: Double?
        /// Judged with every multirule (true), or only warning (false).
        public var primary: Bool
        /// Stored but never judged when false.
        public var judged: Bool
        /// Where the value comes from, for people.
        public var from: String?

        /// Whether this entry describes `metric`.
        public func matches(_ metric: String) -> Bool {
            if name.hasSuffix(" *") { return metric.hasPrefix(String(name.dropLast())) }
            if name.hasPrefix("* ") { return metric.hasSuffix(String(name.dropFirst())) }
            return metric == name
        }
    }

    public var schema: String
    public var description: String?
    public var metrics: [Metric]

    /// The entry for a metric name: an exact name before a pattern.
    public func rule(for metric: String) -> Metric? {
        metrics.first { $0.name == metric } ?? metrics.first { $0.matches(metric) }
    }
}
