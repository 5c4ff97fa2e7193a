import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Synchronization

/// The HTTP endpoint for Prometheus scrapes: `GET /metrics` and `GET /healthz`, served by
/// FlyingFox (a maintained, dependency-free async HTTP/1.1 server) on every address `address`
/// stands for: `localhost` (the default) is both loopbacks, 127.0.0.1 and ::1, on the same port;
/// otherwise one IPv4 or IPv6 address. It has no authentication, hence loopback by default.
public final class MetricsServer: @unchecked Sendable {
    public typealias Responder = @Sendable (_ path: String) -> (status: Int, contentType: String, body: String)

    public let address: String
    public private(set) var port: Int
    private let respond: Responder
    private let logger: Logger
    private var servers: [HTTPServer] = []
    private var tasks: [Task<Void, Never>] = []

    /// `address`: an IPv4 or IPv6 address, or `localhost` for both loopbacks (127.0.0.1 and ::1).
    public init(address: String, port: Int, logger: Logger, respond: @escaping Responder) {
        self.address = address
        self.port = port
        self.logger = logger
        self.respond = respond
    }

    /// The addresses `address` stands for.
    public var addresses: [String] { address == "localhost" ? ["127.0.0.1", "::1"] : [address] }

    /// Where it answers, e.g. `http://127.0.0.1:9464, http://[::1]:9464`.
    public var urls: String {
        addresses.map { $0.contains(":") ? "http://[\($0)]:\(port)" : "http://\($0):\(port)" }.joined(separator: ", ")
    }

    public enum StartError: Error, CustomStringConvertible {
        case bind(address: String, port: Int, reason: String)
        public var description: String {
            switch self {
            case let .bind(address, port, reason):
                return "metrics endpoint cannot listen on \(address):\(port): \(reason) (change daemon.metrics.port or set daemon.metrics.enabled: false)"
            }
        }
    }

    /// Listens on every address and returns once all listen, or throws naming the one that cannot.
    /// Port 0 picks a free port, then the same one on the other addresses (read `port` afterwards).
    public func start() async throws {
        do {
            for address in addresses { try await listen(on: address) }
        } catch {
            await stop()
            throw error
        }
    }

    private func listen(on address: String) async throws {
        let socketAddress: any SocketAddress
        do {
            guard (0...65535).contains(port) else { throw SocketError.unsupportedAddress }
            socketAddress = address.contains(":") ? try sockaddr_in6.inet6(ip6: address, port: UInt16(port))
                                                  : try sockaddr_in.inet(ip4: address, port: UInt16(port))
        } catch {
            throw StartError.bind(address: address, port: port, reason: "not an IPv4 or IPv6 address (or localhost)")
        }
        let respond = self.respond
        let server = HTTPServer(address: socketAddress, timeout: 5, logger: .disabled, handler: ClosureHTTPHandler { request in
            let (status, type, body) = request.method == .GET
                ? respond(request.path) : (405, "text/plain", "only GET is served\n")
            let phrase = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][status] ?? "Status"
            return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: phrase), headers: [.contentType: type], body: Data(body.utf8))
        })
        let failure = Mutex<String?>(nil)
        let task = Task {
            do { try await server.run() } catch { failure.withLock { $0 = "\(error)" } }
        }
        servers.append(server)
        tasks.append(task)
        let deadline = Date().addingTimeInterval(5)
        while await !server.isListening {
            if let reason = failure.withLock({ $0 }) { throw StartError.bind(address: address, port: port, reason: reason) }
            guard Date() < deadline else { throw StartError.bind(address: address, port: port, reason: "not listening after 5 s") }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        switch await server.listeningAddress {
        case let .ip4(_, listening)?, let .ip6(_, listening)?: port = Int(listening)
        default: break
        }
    }

    /// Stops listening (idempotent). Waits at most `limit` seconds: a connection FlyingFox cannot
    /// cancel (it reads a request head of a megabyte without end) must not hold the daemon's
    /// shutdown; what is still running then ends with the process.
    public func stop(limit: Double = 2) async {
        let servers = self.servers, tasks = self.tasks
        self.servers = []
        self.tasks = []
        let stopped = Mutex(false)
        Task {
            for server in servers { await server.stop(timeout: 1) }
            stopped.withLock { $0 = true }
        }
        let deadline = Date().addingTimeInterval(limit)
        while !stopped.withLock({ $0 }) && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        for task in tasks { task.cancel() }
    }
}
