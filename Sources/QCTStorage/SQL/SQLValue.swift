import Foundation

/// One value read from or bound to a statement, whatever the database (SQLite through GRDB,
/// PostgreSQL through PostgresNIO): the store's SQL is written once against these.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to a `?` placeholder.
public protocol SQLArgument: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLArgument { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLArgument { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLArgument { public var sqlValue: SQLValue { .int(self) } }
extension Double: SQLArgument { public var sqlValue: SQLValue { .double(self) } }
/// Flags are stored as 0/1 integers in both databases, so the same SQL (`judged = 1`) serves both.
extension Bool: SQLArgument { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension Array: SQLArgument where Element == UInt8 { public var sqlValue: SQLValue { .blob(self) } }
extension Optional: SQLArgument where Wrapped: SQLArgument { public var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// Arguments of one statement, in placeholder order; `nil` binds NULL.
public typealias SQLArguments = [(any SQLArgument)?]

extension Array where Element == (any SQLArgument)? {
    public var values: [SQLValue] { map { $0?.sqlValue ?? .null } }
}

/// A type a column can be read as.
public protocol SQLColumnDecodable {
    static func decode(_ value: SQLValue) -> Self?
}

extension String: SQLColumnDecodable {
    public static func decode(_ value: SQLValue) -> String? {
        switch value {
        case .text(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: nil
        }
    }
}

extension Int64: SQLColumnDecodable {
    public static func decode(_ value: SQLValue) -> Int64? {
        switch value {
        case .int(let i): i
        case .double(let d): d.isFinite && d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
        case .text(let s): Int64(s)
        default: nil
        }
    }
}

extension Int: SQLColumnDecodable {
    public static func decode(_ value: SQLValue) -> Int? { Int64.decode(value).map { Int($0) } }
}

extension Double: SQLColumnDecodable {
    public static func decode(_ value: SQLValue) -> Double? {
        switch value {
        case .double(let d): d
        case .int(let i): Double(i)
        case .text(let s): Double(s)
        default: nil
        }
    }
}

extension Bool: SQLColumnDecodable {
    public static func decode(_ value: SQLValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

extension Array: SQLColumnDecodable where Element == UInt8 {
    public static func decode(_ value: SQLValue) -> [UInt8]? {
        switch value {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: nil
        }
    }
}

/// One row: columns by name, case-insensitive (PostgreSQL folds unquoted names to lower case).
public struct SQLRow: Sendable {
    private var columns: [String: SQLValue]
    /// The values in the statement's column order.
    public let ordered: [SQLValue]
    /// The column names in the statement's order, as the database gave them.
    public let names: [String]

    public init(_ pairs: [(String, SQLValue)]) {
        columns = Dictionary(pairs.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
        ordered = pairs.map(\.1)
        names = pairs.map(\.0)
    }

    public var firstValue: SQLValue? { ordered.first }

    public func value(_ name: String) -> SQLValue { columns[name.lowercased()] ?? .null }

    /// A non-null column; a NULL or missing one is a store error (a schema the code does not know).
    public subscript<T: SQLColumnDecodable>(_ name: String) -> T {
        guard let v = T.decode(value(name)) else {
            // Reached only when the schema and the code disagree, which the migrations rule out.
            preconditionFailure("column \(name) is \(value(name)), not \(T.self)")
        }
        return v
    }

    /// A column that may be NULL.
    public subscript<T: SQLColumnDecodable>(_ name: String) -> T? {
        T.decode(value(name))
    }
}
