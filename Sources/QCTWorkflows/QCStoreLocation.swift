import Foundation
import QCTStorage

/// Where the QC history lives, as a front end names it (`--db`, a server's `db` setting): a file
/// path, or nothing for the default path ($XDG_DATA_HOME/qct/qc.sqlite, else
/// ~/.local/share/qct/qc.sqlite).
public enum QCStoreLocation {
    /// Opens the history. `readOnly`: a missing database is refused and nothing is created. An
    /// unusable file is refused with its reason and left untouched. `created` says whether the
    /// database was made here (a front end announces it).
    public static func open(_ location: String?, readOnly: Bool = false) throws(WorkflowFailure) -> (store: QCDatabase, created: Bool) {
        let path = location ?? QCDatabase.defaultPath()
        let existed = FileManager.default.fileExists(atPath: path)
        do { return (try QCDatabase(path: path, readOnly: readOnly), !existed) } catch {
            throw WorkflowFailure(.refused, "\(error)")
        }
    }
}
