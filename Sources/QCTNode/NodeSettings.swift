import Foundation
import QCTWorkflows

/// How a QC node receives, when it calls a series complete, and where its files go.
public struct NodeSettings: Sendable {
    /// The DICOM Storage SCP; nil when the node only watches a folder.
    public var dicom: StorageSCPSettings?
    /// Received series wait here, by study and series, until analysed.
    public var inbox: String
    /// A folder a site exports to: its files are taken into the inbox as they appear.
    public var watch: String?
    /// A series is complete after this many seconds without a new file (default 30).
    public var stableAfter: Double = 30
    /// Where series with no phantom in them go; nil deletes them.
    public var quarantine: String?
    /// How often the node looks for complete series and new files, seconds.
    public var pollInterval: Double = 1
    /// Series with no phantom but a spine are patient exams, kept in this intake's patient
    /// database; nil refuses them like any other series without a phantom.
    public var patients: PatientIntake?

    public init(inbox: String) { self.inbox = inbox }

    /// Settings out of range, named as the flag and config key.
    public var problems: [SettingProblem] {
        SettingProblem.collect([
            (stableAfter >= 0, "stable-after", "must be 0 or more (seconds)"),
            (pollInterval > 0, "poll-interval", "must be positive (seconds)"),
            (!(dicom?.aeTitle.isEmpty ?? false) && (dicom?.aeTitle.count ?? 0) <= 16, "ae-title", "must be 1 to 16 characters"),
        ]) + (patients?.problems ?? [])
    }
}

extension NodeSettings {
    /// `AE` or `AE@IP` (an `--allow` value) as an allow-list entry; `localhost` means 127.0.0.1.
    public static func allowEntry(_ text: String) throws(WorkflowFailure) -> (aeTitle: String, host: String?) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let ae = parts[0]
        guard !ae.isEmpty, ae.count <= 16, !ae.contains("\\") else {
            throw WorkflowFailure("--allow \(text): the AE title must be 1 to 16 characters")
        }
        guard parts.count == 2 else { return (ae, nil) }
        let host = parts[1] == "localhost" ? "127.0.0.1" : parts[1]
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw WorkflowFailure("--allow \(text): \(host) is not an IPv4 address")
        }
        return (ae, host)
    }
}
