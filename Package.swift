// swift-tools-version:6.0
// ClearLane: exposure-hole restoration (CPNet) in front of a lane detector.
// Module layering (dependencies point down only) is described in README.md § Architecture.
import PackageDescription

// Per-pixel and per-weight loops (frames, convolutions, rendering, lane search) are optimized even
// in debug builds: unoptimized they run 10-50x slower, which would make the debug test suite and
// the daemon's real-time tests measure the compiler instead of the code.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "ClearLane",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "clearlane", targets: ["clearlane"]),
        // The file parsers as fuzz targets, for the libFuzzer driver in fuzz/ (a package of its own,
        // so that only it is built with -sanitize=fuzzer).
        .library(name: "ParserFuzzing", targets: ["ParserFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // The metrics endpoint's HTTP server (IPv4 and IPv6): small, no SwiftNIO.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // C libraries, fenced off behind shim headers.
        .systemLibrary(
            name: "CGStreamer",
            pkgConfig: "gstreamer-app-1.0",
            providers: [.apt(["libgstreamer1.0-dev", "libgstreamer-plugins-base1.0-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // Pure Swift layers.
        .target(name: "Imaging", swiftSettings: hotPath),
        .target(name: "NeuralEngine", dependencies: ["COpenBLAS"], swiftSettings: hotPath),
        .target(name: "CPNet", dependencies: ["NeuralEngine", "Imaging"], swiftSettings: hotPath),
        .target(name: "Configuration", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Media", dependencies: ["CGStreamer", "Imaging"]),
        .target(name: "Drives", dependencies: ["Configuration", "Media", "Imaging"]),
        .target(name: "Exposure", dependencies: ["Imaging", "Configuration"], swiftSettings: hotPath),
        .target(name: "Synthesis", dependencies: ["Exposure", "Imaging", "Drives", "Media", "Configuration"], swiftSettings: hotPath),
        .target(name: "Lanes", dependencies: ["Imaging", "Configuration"], swiftSettings: hotPath),
        .target(name: "Pipeline", dependencies: ["CPNet", "NeuralEngine", "Lanes", "Exposure", "Imaging", "Configuration"]),
        .target(name: "Evaluation", dependencies: ["Pipeline", "CPNet", "Exposure", "Lanes", "Imaging", "Drives", "Media", "Configuration"], swiftSettings: hotPath),
        .target(
            name: "Daemon",
            dependencies: [
                "Configuration", "Media", "Imaging", "Lanes", "Pipeline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "FlyingFox", package: "FlyingFox"),
            ]
        ),
        .target(name: "ParserFuzzing", dependencies: ["Configuration", "Drives", "NeuralEngine", "Pipeline"]),

        .executableTarget(
            name: "clearlane",
            dependencies: [
                "Configuration", "Media", "Imaging", "Drives",
                "NeuralEngine", "CPNet", "Exposure", "Synthesis", "Lanes", "Evaluation", "Pipeline", "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Evaluation", "CPNet", "NeuralEngine", "Imaging", "Drives", "Media", "Configuration"]),
        .testTarget(name: "NeuralEngineTests", dependencies: ["NeuralEngine"]),
        .testTarget(name: "CPNetTests", dependencies: ["CPNet", "NeuralEngine", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Pipeline", "CPNet", "Lanes", "Imaging"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "Imaging"]),
        .testTarget(name: "LanesTests", dependencies: ["Lanes", "Evaluation", "Imaging", "Configuration"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Pipeline", "Exposure", "CPNet", "Lanes", "Imaging", "Drives", "Media", "Configuration", "Synthesis"]),
        .testTarget(name: "ExposureTests", dependencies: ["Exposure", "Synthesis", "Imaging", "Configuration"]),
        .testTarget(name: "SynthesisTests", dependencies: ["Synthesis", "Exposure", "Drives", "Media", "Imaging", "Configuration"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Pipeline", "Configuration", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ParserFuzzingTests", dependencies: ["ParserFuzzing"]),
        // The clearlane command line as a user runs it: the built binary, from another directory.
        .testTarget(name: "CLITests", dependencies: ["Configuration", "Daemon", "Drives", "Evaluation", "Imaging", "Media", "NeuralEngine"]),
    ]
)
