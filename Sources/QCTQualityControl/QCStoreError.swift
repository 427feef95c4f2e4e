import Foundation

/// Why a QC history store could not do what was asked. A store never modifies its file when
/// this is thrown on opening.
public struct QCStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

