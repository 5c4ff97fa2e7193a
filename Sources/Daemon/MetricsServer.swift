import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 endpoint for Prometheus scrapes: `GET /metrics` and `GET /healthz`.
///
/// It serves one short request at a time on its own thread, which is all a scraper needs, and
/// keeps the daemon free of a web framework. It binds loopback by default (no authentication).
public final class MetricsServer: @unchecked Sendable {
    public typealias Responder = @Sendable (_ path: String) -> (status: Int, contentType: String, body: String)

    public let address: String
    public private(set) var port: Int
    private let respond: Responder
    private let logger: Logger
    private var listener: Int32 = -1
    private let stopFlag = Mutex(false)
    private var thread: Thread?

    public init(address: String, port: Int, logger: Logger, respond: @escaping Responder) {
        self.address = address
        self.port = port
        self.logger = logger
        self.respond = respond
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

    /// Binds and starts serving; port 0 picks a free port (read `port` afterwards).
    public func start() throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw StartError.bind(address: address, port: port, reason: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
            close(listener)
            throw StartError.bind(address: address, port: port, reason: "not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listener)
            throw StartError.bind(address: address, port: port, reason: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in serve() }
        thread.name = "clearlane-metrics"
        thread.start()
        self.thread = thread
    }

    public func stop() {
        stopFlag.withLock { $0 = true }
    }

    private func serve() {
        defer { close(listener) }
        while !stopFlag.withLock({ $0 }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        // A scraper's request fits in one read; give a slow client 2 s at most.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(client, &buffer, buffer.count)
        guard count > 0 else { return }
        let request = String(decoding: buffer[0..<count], as: UTF8.self)
        let parts = request.split(separator: " ", maxSplits: 2)
        let (status, type, body): (Int, String, String)
        if parts.count >= 2, parts[0] == "GET" {
            let path = String(parts[1].split(separator: "?").first ?? "")
            (status, type, body) = respond(path)
        } else {
            (status, type, body) = (405, "text/plain", "only GET is served\n")
        }
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][status] ?? "Status"
        let bodyBytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(bodyBytes.count)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + bodyBytes
        var sent = 0
        while sent < response.count {
            let n = response[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            sent += n
        }
    }
}
