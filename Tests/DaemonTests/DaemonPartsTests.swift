import Configuration
import Daemon
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A bound unix datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Messages received within `timeout` seconds.
    func receive(timeout: Double) -> [String] {
        var out: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { out.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        return out
    }
}

@Suite("Daemon parts")
struct DaemonPartsTests {
    @Test func notifierSpeaksTheSdNotifyProtocolOverTheSocket() {
        let socket = NotifySocket()
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "4000000"])
        #expect(notifier.isActive)
        #expect(notifier.watchdogInterval == 4)
        notifier.ready(status: "first frame processed")
        notifier.watchdog()
        notifier.reloading()
        notifier.stopping()
        let messages = socket.receive(timeout: 0.5)
        #expect(messages.count == 4)
        #expect(messages[0] == "READY=1\nSTATUS=first frame processed")
        #expect(messages[1] == "WATCHDOG=1")
        #expect(messages[2].hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(messages[3] == "STOPPING=1")
    }

    @Test func notifierIsSilentOutsideSystemd() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive)
        #expect(notifier.watchdogInterval == nil)
        notifier.ready()  // must not crash or block
    }

    @Test func watchdogForAnotherProcessIsIgnored() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
        #expect(notifier.watchdogInterval == nil)
    }

    @Test func metricsEndpointServesPrometheusTextAndHealth() async throws {
        let metrics = DaemonMetrics()
        metrics.framesIn.increment(by: 7)
        metrics.stage("lanes").recordNanoseconds(3_000_000)
        let server = MetricsServer(address: "127.0.0.1", port: 0, logger: Logger(label: "test")) { path in
            switch path {
            case "/metrics": return (200, "text/plain; version=0.0.4", metrics.prometheusText())
            case "/healthz": return (200, "text/plain", "ok\n")
            default: return (404, "text/plain", "not found\n")
            }
        }
        try await server.start()
        #expect(server.port > 0)
        let port = server.port
        let (status, body) = try await offPool { try httpGet("http://127.0.0.1:\(port)/metrics") }
        #expect(status == 200)
        #expect(body.contains("clearlane_frames_in_total 7"))
        #expect(body.contains("clearlane_stage_seconds_count{stage=\"lanes\"} 1"))
        #expect(try await offPool { try httpGet("http://127.0.0.1:\(port)/healthz") }.status == 200)
        #expect(try await offPool { try httpGet("http://127.0.0.1:\(port)/nope") }.status == 404)
        await server.stop()
    }

    @Test func busyPortIsAClearError() async throws {
        let first = MetricsServer(address: "127.0.0.1", port: 0, logger: Logger(label: "test")) { _ in (200, "text/plain", "") }
        try await first.start()
        let second = MetricsServer(address: "127.0.0.1", port: first.port, logger: Logger(label: "test")) { _ in (200, "text/plain", "") }
        await #expect {
            try await second.start()
        } throws: { error in
            String(describing: error).contains("daemon.metrics.port")
        }
        await first.stop()
    }

    @Test func lanesGoOutAsUDPDatagrams() throws {
        // Receiver on an ephemeral loopback port.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let writer = try LaneRecordWriter(LanesOutputConfig(to: .udp, address: "127.0.0.1", port: port), baseDirectory: "/tmp")
        writer.write(Array("{\"frame\":0}".utf8))
        writer.write(Array("{\"frame\":1}".utf8))
        var buffer = [UInt8](repeating: 0, count: 256)
        var received: [String] = []
        for _ in 0..<2 {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 2000) > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            received.append(String(decoding: buffer[0..<max(n, 0)], as: UTF8.self))
        }
        #expect(received == ["{\"frame\":0}", "{\"frame\":1}"])
        writer.close()
    }

    @Test func lanesFileIsAppendedLineByLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lanes-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for i in 0..<2 {
            let writer = try LaneRecordWriter(LanesOutputConfig(to: .file, path: path), baseDirectory: "/")
            writer.write(Array("{\"run\":\(i)}".utf8))
            writer.close()
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"run\":0}\n{\"run\":1}\n")
    }

    @Test func aFullDiskRefusesRecordsWithoutCountingThem() throws {
        // /dev/full: opens for writing, and every write fails with ENOSPC.
        let writer = try LaneRecordWriter(LanesOutputConfig(to: .file, path: "/dev/full"), baseDirectory: "/")
        #expect(writer.write(Array("{\"frame\":0}".utf8)) == false)
        #expect(writer.write(Array("{\"frame\":1}".utf8)) == false)
        #expect(writer.linesWritten == 0)
        #expect(writer.writeFailures == 2)
        #expect(writer.lastWriteError == String(cString: strerror(ENOSPC)))
        writer.close()
    }

    @Test func unwritableLanesFileNamesTheKey() {
        #expect {
            _ = try LaneRecordWriter(LanesOutputConfig(to: .file, path: "/nonexistent/dir/lanes.jsonl"), baseDirectory: "/")
        } throws: { error in
            String(describing: error).contains("daemon.lanes_output")
        }
    }
}

/// A blocking HTTP GET over a plain socket (what a Prometheus scraper does).
func httpGet(_ url: String) throws -> (status: Int, body: String) {
    let parts = url.dropFirst("http://".count).split(separator: "/", maxSplits: 1)
    let hostPort = parts[0].split(separator: ":")
    let path = "/" + (parts.count > 1 ? String(parts[1]) : "")
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(hostPort[1])!.bigEndian)
    address.sin_addr.s_addr = inet_addr(String(hostPort[0]))
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    return httpExchange(fd, host: "localhost", path: path)
}

/// Sends `GET path` on the connected socket `fd` and reads the response until the server closes.
func httpExchange(_ fd: Int32, host: String, path: String) -> (status: Int, body: String) {
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    return (status, text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
}
