import Foundation

/// The PostgreSQL server the store tests run against: `QCT_TEST_POSTGRES` (the owner's URL, as
/// `make test` exports it), else a throwaway cluster started here by Scripts/pg_test_cluster.sh
/// under .build/pgtest on port 55433. Without a PostgreSQL server installed the tests fail, saying so.
public enum TestPostgres {
    struct Unavailable: Error, CustomStringConvertible { let description: String }

    public static let ownerURL: Result<String, any Error> = {
        if let url = ProcessInfo.processInfo.environment["QCT_TEST_POSTGRES"], !url.isEmpty { return .success(url) }
        do {
            let script = TestRepository.root.appendingPathComponent("Scripts/pg_test_cluster.sh").path
            let dir = TestRepository.root.appendingPathComponent(".build/pgtest").path
            let run = try ToolRunner.run("/bin/bash", [script, "start", dir, "55433"], timeout: 180)
            let url = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard run.status == 0, url.hasPrefix("postgresql://") else {
                return .failure(Unavailable(description: "no PostgreSQL test server (make test starts one; or set QCT_TEST_POSTGRES): \(run.stderr)"))
            }
            return .success(url)
        } catch {
            return .failure(error)
        }
    }()

    /// The owner's URL with another database, user or password.
    public static func url(database: String? = nil, user: String? = nil, password: String? = nil) throws -> String {
        var c = try components(of: try ownerURL.get())
        if let database { c.path = "/" + database }
        if let user { c.user = user }
        if let password { c.password = password }
        return c.string ?? ""
    }

    private static func components(of s: String) throws -> URLComponents {
        guard let c = URLComponents(string: s) else { throw Unavailable(description: "QCT_TEST_POSTGRES is not a URL") }
        return c
    }

    /// A new database name, unique in this run.
    public static func freshName(_ prefix: String = "t") -> String {
        "\(prefix)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
    }
}
