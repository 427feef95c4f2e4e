import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import QCTNode
import QCTWorkflows

/// The node's HTTP front end (Hummingbird 2): dashboard pages and the versioned JSON API
/// (`/api/v1/…`, Docs/server.md), read from the history through `DashboardData`. It binds to
/// 127.0.0.1 unless configured, reads need no login, and everything it shows is phantom data.
public struct DashboardServer: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (announced through `onRunning`).
    public var port = 8080
    public let store: any QCHistoryStore
    public let logger: Logger
    /// Served at /metrics in Prometheus's text format (the node's swift-metrics go here once
    /// `bootstrapMetrics` has run).
    public let registry: PrometheusCollectorRegistry

    /// Scans in a baseline started by a service event recorded here.
    public var baselineSize = 15

    public init(store: any QCHistoryStore, host: String = "127.0.0.1", port: Int = 8080, logger: Logger,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.store = store
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Serves until the process gets SIGINT or SIGTERM.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "qct"),
                              onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let store = self.store
        @Sendable func data() -> DashboardData { DashboardData(store: store) }

        router.get("/healthz") { _, _ -> Response in
            do {
                _ = try store.latestResults()
                return Self.json(["status": "ok", "database": "ok"])
            } catch {
                return Self.json(["status": "unavailable", "database": "\(error)"], status: .serviceUnavailable)
            }
        }
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/") { _, _ -> Response in
            let d = data()
            return Self.html(DashboardPages.scanners(try d.scanners(), today: d.today))
        }
        router.get("/scanner/:name") { _, context -> Response in
            let d = data(), name = Self.decoded(try context.parameters.require("name"))
            guard let s = try d.scanner(name) else { return Self.html(DashboardPages.notFound("No scanner \(name).", today: d.today), status: .notFound) }
            return Self.html(DashboardPages.scanner(s, metrics: try d.metricNames(scanner: name), events: try d.events(scanner: name), today: d.today))
        }
        router.get("/scanner/:name/chart/:metric") { _, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            var metric = Self.decoded(try context.parameters.require("metric"))
            if metric.hasSuffix(".svg") { metric.removeLast(4) }
            do {
                return Self.text(try data().chart(scanner: name, metric: metric), type: "image/svg+xml")
            } catch {
                return Self.text("\(error)", type: "text/plain; charset=utf-8", status: .notFound)
            }
        }
        router.get("/inputs") { _, _ -> Response in
            let d = data()
            return Self.html(DashboardPages.inputs(try d.inputs(outcomes: [.failed, .refused]), today: d.today))
        }
        router.get("/events") { _, _ -> Response in
            let d = data()
            let events = try d.scanners().flatMap { try d.events(scanner: $0.scanner) }.sorted { $0.at > $1.at }
            return Self.html(DashboardPages.events(events, today: d.today))
        }
        router.get("/precision") { _, _ -> Response in Self.html(DashboardPages.precision(today: data().today)) }

        // JSON API, version 1.
        router.get("/api/v1/scanners") { _, _ -> Response in
            let d = data()
            return try Self.encoded(APIScanners(today: d.today, scanners: try d.scanners()))
        }
        router.get("/api/v1/scanners/:name") { _, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            guard let s = try data().scanner(name) else { return Self.json(["error": "no scanner \(name)"], status: .notFound) }
            return try Self.encoded(s)
        }
        router.get("/api/v1/scanners/:name/points") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            return try Self.encoded(try data().points(scanner: name, metric: request.uri.queryParameters.get("metric")))
        }
        router.get("/api/v1/scanners/:name/events") { _, context -> Response in
            try Self.encoded(try data().events(scanner: Self.decoded(try context.parameters.require("name"))))
        }
        router.get("/api/v1/inputs") { request, _ -> Response in
            let outcome = request.uri.queryParameters.get("outcome").flatMap(QCInputRecord.Outcome.init(rawValue:))
            return try Self.encoded(try data().inputs(outcomes: outcome.map { [$0] }))
        }
        // Writes: a user's token in `Authorization: Bearer …` (401 without; every role, physicist or
        // admin, may record events and set baselines), audited.
        let access = NodeAccess(store: store), baselineSize = self.baselineSize, logger = self.logger
        router.post("/api/v1/scanners/:name/events") { request, context -> Response in
            try await Self.write(request, access, logger) { user in
                let body = try await request.decode(as: EventBody.self, context: context)
                let name = Self.decoded(try context.parameters.require("name"))
                let said = try access.addEvent(by: user, scanner: name, at: body.at, description: body.description,
                                               baselineSize: baselineSize, now: Self.now())
                return try Self.encoded(["result": said], status: .created)
            }
        }
        router.post("/api/v1/scanners/:name/baseline") { request, context -> Response in
            try await Self.write(request, access, logger) { user in
                let body = try await request.decode(as: BaselineBody.self, context: context)
                let name = Self.decoded(try context.parameters.require("name"))
                return try Self.encoded(try access.setBaseline(by: user, scanner: name, from: body.from, to: body.to, now: Self.now()), status: .created)
            }
        }
        router.get("/api/v1/audit") { request, _ -> Response in
            try await Self.write(request, access, logger) { _ in try Self.encoded(try store.auditLog(limit: 500)) }
        }
        return router
    }

    struct EventBody: Decodable {
        var at: String?
        var description: String
    }

    struct BaselineBody: Decodable {
        var from: String
        var to: String
    }

    /// Runs `body` for the user the request's token names; 401 without a valid token, 400 with
    /// the reason when the change is refused.
    static func write(_ request: Request, _ access: NodeAccess, _ logger: Logger,
                      _ body: (QCUser) async throws -> Response) async throws -> Response {
        let user: QCUser
        do { user = try access.user(authorization: request.headers[.authorization]) } catch NodeAccess.Refusal.unauthenticated {
            var r = json(["error": "a user's API token is needed: Authorization: Bearer TOKEN"], status: .unauthorized)
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        }
        do {
            let response = try await body(user)
            logger.info("write", metadata: ["user": "\(user.name)", "path": "\(request.uri.path)"])
            return response
        } catch let e as HTTPError {
            throw e
        } catch {
            return json(["error": "\(error)"], status: .badRequest)
        }
    }

    /// Now, as the history stores times (`QCClock`'s format).
    public static func now() -> String { QCClock.system.iso() }

    /// A registry that every swift-metrics metric of the process (the node's counters and timers)
    /// goes to; call it once, before the node is made.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// A path parameter as written before percent-encoding ("rod%20A" is the metric "rod A").
    static func decoded(_ s: String) -> String { s.removingPercentEncoding ?? s }

    struct APIScanners: Codable {
        var today: String
        var scanners: [DashboardData.ScannerState]
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        text(body, type: "text/html; charset=utf-8", status: status)
    }

    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ object: [String: String], status: HTTPResponse.Status = .ok) -> Response {
        (try? encoded(object, status: status)) ?? text("{}", type: "application/json", status: status)
    }

    static func encoded<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return text(String(decoding: try encoder.encode(value), as: UTF8.self), type: "application/json", status: status)
    }
}
