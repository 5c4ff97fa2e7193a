import ArgumentParser
import CPNet
import Foundation
import Imaging
import NeuralEngine

struct BenchRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Times one CPNet restoration step per frame, per stage, with FLOPs and GFLOP/s.",
        discussion: """
            Restores a deterministic random target (an elliptic hole of 20 % of the frame) from K \
            fully valid references whose alignment features are cached, as the reference memory does \
            in steady state — the same work as training/bench_torch.py. Also measures the sgemm peak \
            of this machine (one 1024³ product) and reports the convolutions' share of it.

            Example: clearlane bench restore --random-alpha 0.5 --align-size 128 --size 640x360 --refs 4 --iterations 10
            """
    )

    @Option(help: "CPNet weights (safetensors).")
    var weights: String?

    @Option(help: "Use random weights of this width multiplier instead of --weights.")
    var randomAlpha: Double?

    @Option(help: "Alignment size S for --random-alpha.")
    var alignSize: Int = 128

    @Option(help: "Frame size WxH.")
    var size: String = "640x360"

    @Option(help: "Number of references K.")
    var refs: Int = 4

    @Option(help: "Timed iterations.")
    var iterations: Int = 10

    @Option(help: "Untimed warm-up iterations.")
    var warmup: Int = 2

    @Option(help: "Threads for the convolutions.")
    var threads: Int = 2

    @Option(help: "How convolutions use the threads: 'tiles' (the engine splits output tiles, OpenBLAS single-threaded) or 'blas' (OpenBLAS threads each GEMM).")
    var parallel: String = "tiles"

    @Option(help: "im2col tile budget in floats per thread (default \(ConvScratch.defaultTileFloats)).")
    var tileFloats: Int = ConvScratch.defaultTileFloats

    @Option(help: "Run the step through this stage: decoder (the whole network, the paper), matching (no paste decoder: the restorer with paste: blend and fill_unseen: false) warp (alignment and the whole-frame warp) or alignment (θ only: paste: oldest, the default, which samples the references per hole pixel).")
    var through: String = "decoder"

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard let frame = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360, got '\(size)'") }
        guard refs >= 1, iterations >= 1, threads >= 1 else { throw ValidationError("--refs, --iterations and --threads must be at least 1") }
        guard parallel == "tiles" || parallel == "blas" else { throw ValidationError("--parallel must be 'tiles' or 'blas'") }
        guard let last = CPNetwork.LastStage(rawValue: through) else {
            throw ValidationError("--through must be one of \(CPNetwork.LastStage.allCases.map(\.rawValue).joined(separator: ", ")), got '\(through)'")
        }
        let loaded: CPNetWeights
        var source: String
        if let weights {
            do { loaded = try CPNetWeights(path: weights) } catch { throw CommandFailure("\(error)") }
            source = weights
        } else if let alpha = randomAlpha {
            let (entries, metadata) = CPNetWeights.randomEntries(widths: Widths(alpha: alpha, alignSize: alignSize), seed: 0)
            let path = NSTemporaryDirectory() + "clearlane-bench-\(getpid()).safetensors"
            defer { unlink(path) }
            do {
                try SafetensorsWriter.write(entries, metadata: metadata, to: path)
                loaded = try CPNetWeights(path: path)
            } catch { throw CommandFailure("\(error)") }
            source = "random (α \(alpha), S \(alignSize), seed 0)"
        } else {
            throw ValidationError("give --weights FILE or --random-alpha A")
        }

        let peak = BLAS.measurePeakGFLOPS(n: 1024, repeats: 10, threads: threads)
        let engineThreads = parallel == "tiles" ? threads : 1
        BLAS.threads = parallel == "tiles" ? 1 : threads

        let network = CPNetwork(weights: loaded)
        let h = frame.height, w = frame.width, k = refs
        let ws = network.makeWorkspace(height: h, width: w, references: k, threads: engineThreads, tileFloats: tileFloats)
        let memory = ReferenceMemory(capacity: k, stride: 1)
        let widths = network.widths
        memory.prepare(height: h, width: w, featureShape: [widths.a3, widths.alignSize / 8, widths.alignSize / 8])
        var rng = SplitMix64(seed: 0)
        for _ in 0..<k {
            let slot = memory.offer(holeFraction: 0)!
            for i in 0..<(3 * h * w) { memory.rgb[slot].data[i] = rng.nextUnit() }
            memory.valid[slot].fill(1)
            network.alignmentFeatures(rgb: memory.rgb[slot].data, valid: memory.valid[slot].data, ws: ws, into: memory.features[slot].data)
        }
        for i in 0..<(3 * h * w) { ws.targetRGB.data[i] = rng.nextUnit() }
        // Elliptic hole of 20 % of the frame, centred (as bench_torch.py).
        let ry = Double(h) * (0.2 / Double.pi).squareRoot(), rx = Double(w) * (0.2 / Double.pi).squareRoot()
        for y in 0..<h {
            for x in 0..<w {
                let dx = (Double(x) - Double(w) / 2) / rx, dy = (Double(y) - Double(h) / 2) / ry
                ws.targetValid.data[y * w + x] = dx * dx + dy * dy <= 1 ? 0 : 1
            }
        }

        for _ in 0..<warmup { network.restore(ws: ws, memory: memory, through: last) }
        ws.convolutionSeconds = 0
        var stages = StageTimings()
        let cpuStart = Self.cpuSeconds()
        let start = Clock.seconds()
        for _ in 0..<iterations { stages = stages + network.restore(ws: ws, memory: memory, through: last) }
        let elapsed = Clock.seconds() - start
        // CPU time (all threads) is far less disturbed than wall time when the machine is shared.
        let cpuMS = 1000 * (Self.cpuSeconds() - cpuStart) / Double(iterations)

        let ms = 1000 * elapsed / Double(iterations)
        let flops = Double(network.flopsPerStep(height: h, width: w, references: k, through: last))
        let gflops = flops / 1e9 / (ms / 1000)
        let convGFLOPS = flops / 1e9 / (ws.convolutionSeconds / Double(iterations))
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rssMB = Double(usage.ru_maxrss) / 1024
        let perStage: [(String, Double)] = [("alignment", stages.alignment), ("warp", stages.warp), ("encode", stages.encode),
                                            ("match", stages.match), ("decode", stages.decode)]
        func r(_ v: Double, _ digits: Double = 1000) -> Double { (v * digits).rounded() / digits }
        if json {
            let stageObject = perStage.map { "\"\($0.0)\": \(r(1000 * $0.1 / Double(iterations)))" }.joined(separator: ", ")
            print("""
                {"ms_per_frame": \(r(ms)), "stages": {\(stageObject)}, "threads": \(threads), "parallel": "\(parallel)", \
                "size": "\(w)x\(h)", "refs": \(k), "through": "\(last.rawValue)", "alpha": \(widths.alpha), "align_size": \(widths.alignSize), \
                "iterations": \(iterations), "gflop_per_frame": \(r(flops / 1e9, 1e4)), "gflops": \(r(gflops, 100)), \
                "cpu_ms_per_frame": \(r(cpuMS)), "conv_ms_per_frame": \(r(1000 * ws.convolutionSeconds / Double(iterations))), "conv_gflops": \(r(convGFLOPS, 100)), \
                "sgemm_peak_gflops": \(r(peak, 100)), "openblas_core": "\(BLASKernels.coreName)", "conv_percent_of_peak": \(r(100 * convGFLOPS / peak, 10)), \
                "peak_rss_mb": \(r(rssMB, 10)), "workspace_mb": \(r(Double(ws.bytes) / 1e6, 10))}
                """)
        } else {
            print("Swift engine, \(threads) threads (\(parallel)): \(source), \(w)x\(h), K \(k), \(iterations) iterations (reference AE features cached, through \(last.rawValue))")
            print("  " + "total".padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %9.2f ms/frame  %.3f GFLOP  %.1f GFLOP/s", ms, flops / 1e9, gflops))
            for (name, t) in perStage {
                print("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %9.2f ms", 1000 * t / Double(iterations)))
            }
            print(String(format: "  convolutions %.2f ms/frame, %.1f GFLOP/s = %.0f %% of the sgemm peak (%.1f GFLOP/s, 1024³, %d threads)",
                         1000 * ws.convolutionSeconds / Double(iterations), convGFLOPS, 100 * convGFLOPS / peak, peak, threads))
            print(String(format: "  CPU time %.2f ms/frame (all threads)", cpuMS))
            print(String(format: "  peak RSS %.1f MB (workspace %.1f MB)", rssMB, Double(ws.bytes) / 1e6))
        }
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
    }
}
