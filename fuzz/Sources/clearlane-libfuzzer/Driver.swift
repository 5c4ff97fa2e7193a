import Foundation
import ParserFuzzing

// Which parser this process fuzzes: CLEARLANE_FUZZ_TARGET, one of ParserTarget's raw values.
// Set once in LLVMFuzzerInitialize, before libFuzzer calls LLVMFuzzerTestOneInput.
nonisolated(unsafe) private var target = ParserTarget.config

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["CLEARLANE_FUZZ_TARGET"], let chosen = ParserTarget(rawValue: name) else {
        complain("CLEARLANE_FUZZ_TARGET must be one of: \(ParserTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(2)
    }
    target = chosen
    // CLEARLANE_FUZZ_WRITE_SEEDS=DIR (with CLEARLANE_FUZZ_REPO=root): write the target's seed
    // corpus there and stop, so the corpus comes from the same list the CI pass mutates.
    if let folder = environment["CLEARLANE_FUZZ_WRITE_SEEDS"] {
        do {
            let seeds = try chosen.seeds(repository: environment["CLEARLANE_FUZZ_REPO"] ?? FileManager.default.currentDirectoryPath)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (n, seed) in seeds.enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: folder).appendingPathComponent("seed-\(n)"))
            }
            exit(0)
        } catch {
            complain("cannot write the seeds of \(name): \(error)")
            exit(1)
        }
    }
    return 0
}

private func complain(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // An error that is not the parser's own, or that does not name the file, is a finding as much
    // as a trap is: stop here so libFuzzer keeps the input.
    if case .unexpected(let error) = target.run(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("\(target.rawValue): \(error)")
    }
    return 0
}
