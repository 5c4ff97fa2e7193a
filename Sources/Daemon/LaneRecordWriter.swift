import Configuration
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends one JSON object per processed frame (`LaneRecord`) to stdout, a file (appended, flushed
/// per line so a crash or SIGKILL loses at most the line being written; rotated by size) or UDP
/// datagrams.
///
/// Rotation (`max_bytes`, `keep`): a line that would take the file past `max_bytes` goes into a new
/// file instead, after `lanes.jsonl` became `lanes.jsonl.1` (and `.1` … `.keep-1` moved up one, the
/// oldest deleted): files are cut between records, never inside one, and no record is lost.
public final class LaneRecordWriter {
    private enum Target {
        case stdout
        case file(FileHandle)
        case udp(fd: Int32, address: sockaddr_in)
        case none
    }

    private var target: Target
    /// Records the output took. A record it refused is never counted here.
    public private(set) var linesWritten = 0
    /// Records the output refused (disk full, I/O error, UDP send error); each is dropped.
    public private(set) var writeFailures = 0
    /// Why the last refused record was refused (strerror text).
    public private(set) var lastWriteError: String?
    public let destination: String
    private let maxBytes: Int
    private let keep: Int
    /// Bytes in the current file.
    private var fileBytes: UInt64 = 0
    public private(set) var rotations = 0
    private var encoded = [UInt8]()

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
        maxBytes = config.maxBytes
        keep = config.keep
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
            fileBytes = handle.seekToEndOfFile()
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

    /// Writes one record; false when the output refused it (see `lastWriteError`).
    @discardableResult
    public func write(_ record: LaneRecord) -> Bool {
        record.encodeJSON(into: &encoded)
        return write(encoded)
    }

    /// Writes one record (a JSON object without newline); false when the output refused it (see
    /// `lastWriteError`). A refused record is dropped, not retried: the daemon is real time, and the
    /// next frame's record supersedes it.
    @discardableResult
    public func write(_ json: [UInt8]) -> Bool {
        let failure: Int32?
        switch target {
        case .stdout:
            var line = json
            line.append(UInt8(ascii: "\n"))
            failure = line.withUnsafeBytes { Self.writeAll(STDOUT_FILENO, $0) }
        case .file(var handle):
            var line = json
            line.append(UInt8(ascii: "\n"))
            if maxBytes > 0, fileBytes > 0, fileBytes + UInt64(line.count) > UInt64(maxBytes), let fresh = rotate(handle) {
                handle = fresh
            }
            // Not FileHandle.write(_:), which traps on an error (ENOSPC on a full disk).
            failure = line.withUnsafeBytes { Self.writeAll(handle.fileDescriptor, $0) }
            if failure == nil {
                fileBytes += UInt64(line.count)
            } else {
                // Cut off what part of the line went in, so the file stays whole lines of JSON,
                // and write the next line where this one started.
                _ = ftruncate(handle.fileDescriptor, off_t(fileBytes))
                _ = lseek(handle.fileDescriptor, off_t(fileBytes), SEEK_SET)
            }
        case .udp(let fd, var address):
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    json.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            failure = sent < 0 ? errno : nil
        case .none:
            return true
        }
        if let failure {
            writeFailures += 1
            lastWriteError = String(cString: strerror(failure))
            return false
        }
        linesWritten += 1
        return true
    }

    /// Writes all of `bytes` (retrying short writes and EINTR); the errno of a failure, else nil.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }

    /// Closes the current file, shifts the rotated ones up (the oldest beyond `keep` deleted), and
    /// opens a new, empty file at the same path. Nil (keep writing the old file) when that fails.
    private func rotate(_ handle: FileHandle) -> FileHandle? {
        let fm = FileManager.default
        let path = destination
        try? handle.synchronize()
        try? handle.close()
        func rotated(_ n: Int) -> String { "\(path).\(n)" }
        if keep == 0 {
            try? fm.removeItem(atPath: path)
        } else {
            try? fm.removeItem(atPath: rotated(keep))
            for n in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: rotated(n)) {
                try? fm.moveItem(atPath: rotated(n), toPath: rotated(n + 1))
            }
            try? fm.moveItem(atPath: path, toPath: rotated(1))
        }
        guard fm.createFile(atPath: path, contents: nil), let fresh = FileHandle(forWritingAtPath: path) else {
            // Cannot start a new file: go on appending to the old one (now .1) rather than lose records.
            let fallback = FileHandle(forWritingAtPath: keep == 0 ? path : rotated(1))
            fallback?.seekToEndOfFile()
            if let fallback { target = .file(fallback) }
            return fallback
        }
        target = .file(fresh)
        fileBytes = 0
        rotations += 1
        return fresh
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
