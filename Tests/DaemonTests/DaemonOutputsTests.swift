import Configuration
import Daemon
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19 item 4: the lanes record schema, lanes-file rotation, metrics text and endpoint.
@Suite("Daemon outputs")
struct DaemonOutputsTests {
    static func scratch() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clearlane-outputs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    static func record(_ frame: Int) -> LaneRecord {
        LaneRecord(frame: frame, ptsNs: UInt64(frame) * 33_333_333, width: 960, height: 540, hSamples: [330, 340, 530],
                   lanes: [.init(x: [-2, 471.25, 180], confidence: 0.931), .init(x: [520, 610.5, 890], confidence: 0.5)],
                   restored: frame % 2 == 0, restoration: frame % 2 == 0 ? "restored" : "not_needed", holeCoverage: 0.0812, latencyMs: 21.4)
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var hasher = SHA256()
        for _ in 0..<1000 { hasher.update([UInt8](repeating: 0x61, count: 1000)) }  // 10^6 × "a"
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func theWritersJSONDecodesWithTheSharedType() throws {
        var bytes = [UInt8]()
        let record = Self.record(12)
        record.encodeJSON(into: &bytes)
        let decoded = try JSONDecoder().decode(LaneRecord.self, from: Data(bytes))
        #expect(decoded == record)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(Set(object.keys) == ["frame", "pts_ns", "width", "height", "h_samples", "lanes", "restored", "restoration", "hole_coverage", "latency_ms"])
    }

    /// Records 0..<count as written into `folder`'s lanes.jsonl and its rotated files, oldest first.
    static func readAll(_ path: String, keep: Int) throws -> (files: [String], frames: [Int]) {
        var files: [String] = []
        for n in stride(from: keep + 1, through: 1, by: -1) where FileManager.default.fileExists(atPath: "\(path).\(n)") { files.append("\(path).\(n)") }
        if FileManager.default.fileExists(atPath: path) { files.append(path) }
        var frames: [Int] = []
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.isEmpty || text.hasSuffix("\n"), "\(file) ends inside a record")
            for line in text.split(separator: "\n") { frames.append(try JSONDecoder().decode(LaneRecord.self, from: Data(line.utf8)).frame) }
        }
        return (files, frames)
    }

    @Test func rotationAtASmallSizeKeepsNFilesAndLosesNoRecord() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = (folder as NSString).appendingPathComponent("lanes.jsonl")
        let maxBytes = 4096
        // keep large enough to hold everything: every record is there, once, in order.
        let all = try LaneRecordWriter(LanesOutputConfig(to: .file, path: path, maxBytes: maxBytes, keep: 50), baseDirectory: folder)
        for i in 0..<300 { all.write(Self.record(i)) }
        all.close()
        let kept = try Self.readAll(path, keep: 50)
        #expect(kept.frames == Array(0..<300))
        #expect(kept.files.count > 5, "300 records of ~230 bytes at 4 KiB a file: \(kept.files)")
        for file in kept.files {
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
            #expect(size <= maxBytes, "\(file): \(size) bytes")
        }

        // keep 2: the file and two rotated ones; what they hold is the newest records, contiguous.
        let small = (folder as NSString).appendingPathComponent("small.jsonl")
        let writer = try LaneRecordWriter(LanesOutputConfig(to: .file, path: small, maxBytes: maxBytes, keep: 2), baseDirectory: folder)
        for i in 0..<300 { writer.write(Self.record(i)) }
        writer.close()
        let two = try Self.readAll(small, keep: 5)
        #expect(two.files == ["\(small).2", "\(small).1", small])
        #expect(!FileManager.default.fileExists(atPath: "\(small).3"))
        #expect(two.frames.last == 299 && two.frames == Array((two.frames.first ?? 0)...299))
    }

    @Test func metricsHaveHelpAndTypeForEveryMetricAndBuildInfo() throws {
        let metrics = DaemonMetrics(buildInfo: BuildInfo(version: "1.2.3", commit: "abcdef012345", modelSHA256: String(repeating: "b3", count: 32)))
        metrics.framesIn.increment(by: 3)
        metrics.frameAge.set(0.012)
        metrics.stage("lanes").recordNanoseconds(3_000_000)
        metrics.restorationSkipped("skipped_deadline").increment()
        metrics.latency.recordNanoseconds(20_000_000)
        let text = metrics.prometheusText()
        var helped = Set<String>(), typed = Set<String>(), samples = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("# HELP ") { helped.insert(String(words[2])); #expect(words.count > 3, "empty help: \(line)") }
            else if line.hasPrefix("# TYPE ") { typed.insert(String(words[2])) }
            else if !line.hasPrefix("#") {
                var name = String(line.prefix { $0 != "{" && $0 != " " })
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && typed.contains(String(name.dropLast(suffix.count))) {
                    name = String(name.dropLast(suffix.count))
                }
                samples.insert(name)
            }
        }
        #expect(!samples.isEmpty)
        #expect(samples.subtracting(helped).isEmpty, "no HELP for \(samples.subtracting(helped))")
        #expect(samples.subtracting(typed).isEmpty, "no TYPE for \(samples.subtracting(typed))")
        #expect(samples.isSubset(of: Set(DaemonMetrics.help.keys)))
        #expect(text.contains("clearlane_build_info{version=\"1.2.3\",commit=\"abcdef012345\",model_sha256=\"b3b3b3b3b3b3\"} 1"), "\(text)")
        #expect(text.contains("clearlane_frame_age_seconds 0.012"))
        #expect(!text.contains("queue_depth"))
    }

    @Test func theEndpointAnswersOnBothLoopbacks() async throws {
        let metrics = DaemonMetrics()
        metrics.framesOut.increment(by: 5)
        let server = MetricsServer(address: "localhost", port: 0, logger: Logger(label: "test")) { path in
            path == "/metrics" ? (200, "text/plain; version=0.0.4", metrics.prometheusText()) : (404, "text/plain", "not found\n")
        }
        try await server.start()
        #expect(server.urls == "http://127.0.0.1:\(server.port), http://[::1]:\(server.port)")
        let port = server.port
        // The server runs on Swift's cooperative pool, which other suites' synchronous work can
        // hold for a while under `swift test`'s parallel load: a request that gets no answer is
        // retried (a few times, seconds apart) before it counts as a failure.
        func answered(_ get: @escaping @Sendable () throws -> (status: Int, body: String)) async throws -> (status: Int, body: String) {
            var last = (status: 0, body: "")
            for attempt in 0..<6 {
                last = try await offPool(get)
                if last.status != 0 { break }
                if attempt < 5 { try await Task.sleep(for: .seconds(5)) }
            }
            return last
        }
        let v4 = try await answered { try httpGet("http://127.0.0.1:\(port)/metrics") }
        #expect(v4.status == 200 && v4.body.contains("clearlane_frames_out_total 5"))
        let v6 = try await answered { try httpGetIPv6(port: port, path: "/metrics") }
        #expect(v6.status == 200 && v6.body.contains("clearlane_frames_out_total 5"), "\(v6)")
        #expect(try await offPool { try httpGetIPv6(port: port, path: "/nope") }.status == 404)
        await server.stop()
    }
}

/// Runs blocking socket I/O on a thread of its own: a blocking call on the cooperative pool (two
/// threads on a 2-core machine) could starve the async server it talks to.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// `GET path` from [::1]:port.
func httpGetIPv6(port: Int, path: String) throws -> (status: Int, body: String) {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_port = in_port_t(UInt16(port).bigEndian)
    _ = inet_pton(AF_INET6, "::1", &address.sin6_addr)
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    return httpExchange(fd, host: "[::1]", path: path)
}
