// swift-tools-version:6.0
// libFuzzer driver for ClearLane's file parsers (scripts/fuzz builds and runs it). A package of
// its own so that `swift build -sanitize=fuzzer` instruments only this build (.build here), never
// the main package's.
import PackageDescription

let package = Package(
    name: "ClearLaneFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "ClearLane", path: "..")],
    targets: [
        .executableTarget(
            name: "clearlane-libfuzzer",
            dependencies: [.product(name: "ParserFuzzing", package: "ClearLane")],
            // libFuzzer brings main(); this target only defines the callbacks.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
