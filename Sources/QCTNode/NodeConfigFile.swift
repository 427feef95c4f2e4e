import Foundation
import QCTWorkflows
import TOMLKit

/// `qct serve --config FILE`: the node's settings in TOML (Docs/server.md, Docs/qct-node.toml).
/// Every key is optional; a flag given on the command line wins over the file. Relative paths are
/// taken from the file's folder. An unknown key or a value of the wrong type is refused, naming
/// the key, so a misspelt setting is never silently ignored.
public struct NodeConfigFile: Sendable, Equatable {
    public var db: String?
    public var dicomEnabled: Bool?
    public var dicomPort: Int?
    public var aeTitle: String?
    public var dicomBind: String?
    public var allow: [String]?
    public var httpEnabled: Bool?
    public var httpPort: Int?
    public var httpBind: String?
    public var inbox: String?
    public var stableAfter: Double?
    public var watch: String?
    public var quarantine: String?
    public var baselineSize: Int?
    public var cusumH: Double?
    public var phantoms: [String]?
    public var patients: String?
    public var patientCalibration: String?
    public var patientMaxAgeDays: Double?
    public var patientReports: String?

    public init() {}

    static let sections: [String: Set<String>] = [
        "": ["db"],
        "dicom": ["enabled", "port", "ae_title", "bind", "allow"],
        "http": ["enabled", "port", "bind"],
        "inbox": ["path", "stable_after", "watch", "quarantine"],
        "qc": ["baseline_size", "cusum_h", "phantoms"],
        "patients": ["database", "calibration", "max_age_days", "reports"],
    ]

    public static func load(_ path: String) throws(WorkflowFailure) -> NodeConfigFile {
        guard let data = FileBytes.read(atPath: path) else { throw WorkflowFailure(path: path, "cannot read the configuration file") }
        let table: TOMLTable
        do { table = try TOMLTable(string: String(decoding: data, as: UTF8.self)) } catch let e as TOMLParseError {
            throw WorkflowFailure(path: path, "not TOML: \(e.description) (line \(e.source.begin.line))")
        } catch {
            throw WorkflowFailure(path: path, "not TOML: \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var reader = Reader(path: path, folder: folder)
        var c = NodeConfigFile()
        for (key, value) in table {
            if let section = sections[key], key != "" {
                guard let t = value.table else { throw reader.wrong(key, "a table ([\(key)])") }
                for (k, _) in t where !section.contains(k) { throw reader.unknown("\(key).\(k)") }
            } else if !sections[""]!.contains(key) {
                throw reader.unknown(key)
            }
        }
        // A PostgreSQL URL is kept as it is; a path is taken from the file's folder.
        c.db = try reader.string(table, "db").map { QCStoreLocation.isServer($0) ? $0 : reader.resolve($0) }
        let dicom = table["dicom"]?.table, http = table["http"]?.table, inbox = table["inbox"]?.table, qc = table["qc"]?.table
        let patients = table["patients"]?.table
        reader.prefix = "dicom."
        c.dicomEnabled = try reader.bool(dicom, "enabled")
        c.dicomPort = try reader.int(dicom, "port", 0...65535)
        c.aeTitle = try reader.string(dicom, "ae_title")
        c.dicomBind = try reader.string(dicom, "bind")
        c.allow = try reader.strings(dicom, "allow")
        reader.prefix = "http."
        c.httpEnabled = try reader.bool(http, "enabled")
        c.httpPort = try reader.int(http, "port", 0...65535)
        c.httpBind = try reader.string(http, "bind")
        reader.prefix = "inbox."
        c.inbox = try reader.path(inbox, "path")
        c.stableAfter = try reader.double(inbox, "stable_after")
        c.watch = try reader.path(inbox, "watch")
        c.quarantine = try reader.path(inbox, "quarantine")
        reader.prefix = "qc."
        c.baselineSize = try reader.int(qc, "baseline_size", 2...10_000)
        c.cusumH = try reader.double(qc, "cusum_h")
        c.phantoms = try reader.strings(qc, "phantoms")?.map { reader.resolve($0) }
        reader.prefix = "patients."
        c.patients = try reader.path(patients, "database")
        c.patientCalibration = try reader.string(patients, "calibration")
        c.patientMaxAgeDays = try reader.double(patients, "max_age_days")
        c.patientReports = try reader.path(patients, "reports")
        return c
    }

    struct Reader {
        let path: String
        let folder: String
        var prefix = ""

        func unknown(_ key: String) -> WorkflowFailure {
            WorkflowFailure(path: path, "unknown setting \(key) (known: db, [dicom] enabled port ae_title bind allow, [http] enabled port bind, "
                            + "[inbox] path stable_after watch quarantine, [qc] baseline_size cusum_h phantoms, [patients] database calibration max_age_days reports)")
        }
        func wrong(_ key: String, _ what: String) -> WorkflowFailure { WorkflowFailure(path: path, "\(prefix)\(key) must be \(what)") }
        func resolve(_ p: String) -> String { p.hasPrefix("/") || folder.isEmpty ? p : (folder as NSString).appendingPathComponent(p) }

        func bool(_ t: TOMLTable?, _ key: String) throws(WorkflowFailure) -> Bool? {
            guard let v = t?[key] else { return nil }
            guard let b = v.bool else { throw wrong(key, "true or false") }
            return b
        }
        func int(_ t: TOMLTable?, _ key: String, _ range: ClosedRange<Int>) throws(WorkflowFailure) -> Int? {
            guard let v = t?[key] else { return nil }
            guard let i = v.int, range.contains(i) else { throw wrong(key, "an integer \(range.lowerBound)…\(range.upperBound)") }
            return i
        }
        func double(_ t: TOMLTable?, _ key: String) throws(WorkflowFailure) -> Double? {
            guard let v = t?[key] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init), d.isFinite, d >= 0 else { throw wrong(key, "a number ≥ 0") }
            return d
        }
        func string(_ t: TOMLTable?, _ key: String) throws(WorkflowFailure) -> String? {
            guard let v = t?[key] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw wrong(key, "a non-empty string") }
            return s
        }
        func path(_ t: TOMLTable?, _ key: String) throws(WorkflowFailure) -> String? { try string(t, key).map(resolve) }
        func strings(_ t: TOMLTable?, _ key: String) throws(WorkflowFailure) -> [String]? {
            guard let v = t?[key] else { return nil }
            guard let a = v.array else { throw wrong(key, "an array of strings") }
            var out: [String] = []
            for item in a {
                guard let s = item.string else { throw wrong(key, "an array of strings") }
                out.append(s)
            }
            return out
        }
    }
}
