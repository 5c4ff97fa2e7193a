import Configuration
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends one JSON object per processed frame to stdout, a file (appended, flushed per line so a
/// crash or SIGKILL loses at most the line being written) or UDP datagrams.
public final class LaneRecordWriter {
    private enum Target {
        case stdout
        case file(FileHandle)
        case udp(fd: Int32, address: sockaddr_in)
        case none
    }

    private var target: Target
    public private(set) var linesWritten = 0
    public let destination: String

    public enum OpenError: Error, CustomStringConvertible {
        case file(path: String, reason: String)
        case udp(address: String, reason: String)
        public var description: String {
            switch self {
            case let .file(path, reason): return "daemon.lanes_output: cannot open \(path) for appending: \(reason)"
            case let .udp(address, reason): return "daemon.lanes_output: cannot send UDP to \(address): \(reason)"
            }
        }
    }

    public init(_ config: LanesOutputConfig, baseDirectory: String) throws {
        switch config.to {
        case .stdout:
            target = .stdout
            destination = "stdout"
        case .none:
            target = .none
            destination = "none"
        case .file:
            var path = config.path ?? ""
            if !path.hasPrefix("/") { path = (baseDirectory as NSString).appendingPathComponent(path) }
            destination = path
            let fm = FileManager.default
            if !fm.fileExists(atPath: path) {
                guard fm.createFile(atPath: path, contents: nil) else {
                    throw OpenError.file(path: path, reason: "the folder does not exist or is not writable")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw OpenError.file(path: path, reason: "not writable")
            }
            handle.seekToEndOfFile()
            target = .file(handle)
        case .udp:
            let port = config.port ?? 0
            destination = "udp://\(config.address):\(port)"
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, config.address, &address.sin_addr) == 1 else {
                throw OpenError.udp(address: config.address, reason: "not an IPv4 address")
            }
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw OpenError.udp(address: config.address, reason: String(cString: strerror(errno))) }
            target = .udp(fd: fd, address: address)
        }
    }

    deinit { close() }

    /// Writes one record (a JSON object without newline).
    public func write(_ json: [UInt8]) {
        switch target {
        case .stdout:
            var line = json
            line.append(UInt8(ascii: "\n"))
            line.withUnsafeBytes { _ = Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        case .file(let handle):
            var line = json
            line.append(UInt8(ascii: "\n"))
            handle.write(Data(line))
        case .udp(let fd, var address):
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    json.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        case .none:
            return
        }
        linesWritten += 1
    }

    /// Flushes and closes (idempotent).
    public func close() {
        switch target {
        case .file(let handle):
            try? handle.synchronize()
            try? handle.close()
        case .udp(let fd, _):
            Glibc.close(fd)
        case .stdout, .none:
            break
        }
        target = .none
    }
}
