import Foundation
import NeuralEngine
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19 item 3: cameras named by URI on the command line, with real GStreamer.
@Suite("Cameras by URI", .serialized)
struct CameraURITests {
    /// A free loopback UDP port.
    static func freeUDPPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// gst-launch-1.0 sending a 320x180 test pattern as H.264 to 127.0.0.1:port, RTP or MPEG-TS.
    static func sender(port: Int, mpegts: Bool) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
        process.arguments = ["-q", "videotestsrc", "is-live=true", "pattern=ball", "!", "video/x-raw,width=320,height=180,framerate=30/1",
                             "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=15", "!"]
            + (mpegts ? ["mpegtsmux"] : ["rtph264pay", "config-interval=1"])
            + ["!", "udpsink", "host=127.0.0.1", "port=\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(arguments: [false, true])
    func probeReadsAUDPStream(mpegts: Bool) throws {
        let port = Self.freeUDPPort()
        let sender = try Self.sender(port: port, mpegts: mpegts)
        // Only a sender still running: a reaped one's pid may already belong to another test's child.
        defer { if sender.isRunning { kill(sender.processIdentifier, SIGKILL) }; sender.waitUntilExit() }
        let uri = "udp://127.0.0.1:\(port)\(mpegts ? "?format=mpegts" : "")"
        let r = try CLI.run(["probe", uri, "--max-frames", "15"], in: NSTemporaryDirectory(), timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("size:        320x180"), "\(r.stdout)")
        #expect(r.stdout.contains("frames:      15"), "\(r.stdout)")
    }

    @Test func anAbsentCameraIsNamedAsSuch() throws {
        let r = try CLI.run(["probe", "/dev/video97"], in: NSTemporaryDirectory())
        #expect(r.status != 0)
        #expect(r.stderr.contains("no V4L2 camera at /dev/video97"), "\(r.stderr)")
        #expect(!r.stderr.contains("file not found"), "\(r.stderr)")
    }

    @Test func aMissingPluginNamesTheElementAndItsPackage() throws {
        // A GStreamer that has only its core elements: rtspsrc is missing.
        let plugins = try CLI.scratch("plugins")
        defer { try? FileManager.default.removeItem(atPath: plugins) }
        try FileManager.default.createSymbolicLink(atPath: (plugins as NSString).appendingPathComponent("libgstcoreelements.so"),
                                                   withDestinationPath: "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstcoreelements.so")
        let r = try CLI.run(["probe", "rtsp://127.0.0.1:8554/cam"], in: plugins,
                            environment: ["GST_PLUGIN_SYSTEM_PATH_1_0": plugins, "GST_PLUGIN_PATH_1_0": "",
                                          "GST_REGISTRY_1_0": (plugins as NSString).appendingPathComponent("registry.bin")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("GStreamer element 'rtspsrc' is not installed") && r.stderr.contains("gstreamer1.0-plugins-good"), "\(r.stderr)")
    }

    @Test func unsupportedSchemesAreRefusedWithTheListOfSupportedOnes() throws {
        let r = try CLI.run(["probe", "http://example.invalid/cam.mjpg"], in: NSTemporaryDirectory())
        #expect(r.status != 0)
        #expect(r.stderr.contains("unsupported scheme 'http'") && r.stderr.contains("rtsp://"), "\(r.stderr)")
    }

    @Test func runSourceOverridesTheConfigsSource() throws {
        let folder = try CLI.scratch("run-source")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = (folder as NSString).appendingPathComponent("vehicle.yaml")
        try """
            pipeline_templates: \(CLI.repo("pipelines"))
            source: {template: v4l2, parameters: {device: /dev/video97}}
            lanes: {camera: udacity-960x540, cameras_folder: \(CLI.repo("config/cameras"))}
            restorer: {weights: \(CLI.repo("models/cpnet-road-slim.safetensors"))}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let check = try CLI.run(["config", "check", config, "--source", "udp://:5600"], in: folder)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("source: udp-h264 → udpsrc address=0.0.0.0 port=5600"), "\(check.stdout)")
        let rtsp = try CLI.run(["config", "check", config, "--source", "rtsp://cam.local:8554/front"], in: folder)
        #expect(rtsp.stdout.contains("rtspsrc location=rtsp://cam.local:8554/front") && rtsp.stdout.contains("decodebin") && rtsp.stdout.contains("(live)"), "\(rtsp.stdout)")
    }
}

/// Issue 19 item 1: `clearlane --version`.
@Suite("Version")
struct VersionTests {
    @Test func versionPrintsVersionCommitAndTheShippedModelsHash() throws {
        let r = try CLI.run(["--version"], in: NSTemporaryDirectory())
        #expect(r.status == 0, "\(r.stderr)")
        let version = try String(contentsOfFile: CLI.repo("VERSION"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "clearlane \(version)", "\(r.stdout)")
        #expect(lines.count == 4 && lines[1].hasPrefix("commit: ") && lines[1] != "commit: unknown", "\(r.stdout)")
        #expect(lines.last?.hasPrefix("openblas: ") == true, "\(r.stdout)")
        // sha256sum of the shipped model, first 12 digits.
        let sha = Process()
        sha.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha.arguments = [CLI.repo("models/cpnet-road-slim.safetensors")]
        let pipe = Pipe()
        sha.standardOutput = pipe
        try sha.run()
        let digest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(12)
        sha.waitUntilExit()
        #expect(lines.count > 2 && lines[2] == "model: models/cpnet-road-slim.safetensors sha256:\(digest)", "\(r.stdout)")
    }
}

/// Decision 0036: OpenBLAS's vector kernels wherever the CPU has them, whatever OpenBLAS made of it.
@Suite("OpenBLAS kernels")
struct OpenBLASKernelTests {
    /// The kernels `clearlane --version` reports, with `OPENBLAS_CORETYPE` as given (nil: unset).
    func reportedKernels(coreType: String?) throws -> String {
        let r = try CLI.run(["--version"], in: NSTemporaryDirectory(),
                            environment: ["OPENBLAS_CORETYPE": coreType, "CLEARLANE_OPENBLAS_REPLACED_CORE": nil])
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("openblas: ") } ?? ""
        return String(line.dropFirst("openblas: ".count).prefix { $0 != " " })
    }

    @Test func aCPUWithAVX2RunsVectorKernelsAndAUsersChoiceStands() throws {
        let flags = BLASKernels.cpuFlags
        // Without AVX2 and FMA there are no vector kernels to get; the rule's table is tested
        // without a CPU in NeuralEngineTests.
        guard flags.isSuperset(of: ["avx2", "fma"]) else { return }
        let chosen = try reportedKernels(coreType: nil)
        #expect(["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"].contains(chosen), "OpenBLAS runs \(chosen) kernels on a CPU with AVX2")
        // Set by the user, even to the slowest kernels, it is kept: no restart overrides it.
        #expect(try reportedKernels(coreType: "Prescott") == "Prescott")
    }
}
