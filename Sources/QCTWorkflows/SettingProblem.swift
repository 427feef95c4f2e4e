/// A setting out of its range, named as the CLI's flag (without `--`) and a server's
/// configuration key both spell it, with why. Workflows check their own settings, so every front
/// end refuses the same values with the same reason.
public struct SettingProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var setting: String
    public var reason: String

    public init(_ setting: String, _ reason: String) { (self.setting, self.reason) = (setting, reason) }

    /// `slab must be positive (mm)`.
    public var description: String { "\(setting) \(reason)" }

    /// The problems among `checks` whose condition fails.
    public static func collect(_ checks: [(Bool, String, String)]) -> [SettingProblem] {
        checks.filter { !$0.0 }.map { SettingProblem($0.1, $0.2) }
    }
}
