import Foundation
import QCTPostgres
import QCTQualityControl
import QCTStorage

/// Where the QC history lives, as a front end names it (`--db`, a server's `db` setting): a
/// PostgreSQL URL (`postgresql://user@host:port/dbname`, a network's shared history), a file path
/// (SQLite), or nothing for the default path ($XDG_DATA_HOME/qct/qc.sqlite, else
/// ~/.local/share/qct/qc.sqlite).
public enum QCStoreLocation {
    /// Opens the history. `readOnly`: a missing SQLite database is refused and nothing is created.
    /// An unusable file, a bad URL, an unreachable server or refused credentials is refused with its
    /// reason (one line) and left untouched. `created` says whether an SQLite database was made here
    /// (a front end announces it).
    public static func open(_ location: String?, readOnly: Bool = false) throws(WorkflowFailure) -> (store: any QCHistoryStore, created: Bool) {
        if let location, PostgresLocation.isURL(location) {
            do { return (try PostgresHistory(url: location), false) } catch {
                throw WorkflowFailure(.refused, "\(error)")
            }
        }
        let path = location ?? QCDatabase.defaultPath()
        let existed = FileManager.default.fileExists(atPath: path)
        do { return (try QCDatabase(path: path, readOnly: readOnly), !existed) } catch {
            throw WorkflowFailure(.refused, "\(error)")
        }
    }

    /// A file path whose folder holds what a node keeps locally (inbox, scratch, queue): the SQLite
    /// database itself, or for a server the default database path.
    public static func localPath(_ location: String?) -> String {
        guard let location, !PostgresLocation.isURL(location) else { return QCDatabase.defaultPath() }
        return location
    }

    /// The location for people: a URL without its password.
    public static func describe(_ location: String) -> String {
        guard PostgresLocation.isURL(location) else { return location }
        return (try? PostgresLocation(url: location).description) ?? "a PostgreSQL URL"
    }

    /// Whether `location` names a PostgreSQL server rather than a file.
    public static func isServer(_ location: String?) -> Bool { location.map(PostgresLocation.isURL) ?? false }
}
