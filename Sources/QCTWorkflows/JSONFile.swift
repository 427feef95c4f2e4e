import Foundation

/// JSON documents read from disk: an unreadable or undecodable file is a `WorkflowFailure`
/// naming the file and the reason.
public enum JSONFile {
    public static func read<T: Decodable>(_ type: T.Type, at path: String, what: String) throws(WorkflowFailure) -> T {
        guard let data = FileBytes.read(atPath: path) else { throw WorkflowFailure(path: path, "cannot read file") }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw WorkflowFailure(path: path, "not \(what): \(error)")
        }
    }
}
