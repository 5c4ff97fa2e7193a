import ArgumentParser
import CPNet
import Configuration
import Drives
import Evaluation
import Foundation
import Imaging
import Pipeline
import Synthesis

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replays drives through the pipeline and scores lane detection on raw, corrected, restored and clean frames.",
        discussion: """
            Each INPUT is a drive folder or an evaluation set (.yaml listing drives). Frames are \
            played as fast as possible and never dropped. Per drive and overall, per variant, the \
            TuSimple accuracy, FP and FN rates and the ego-pair rate are printed for all labeled \
            frames and for exposure-affected frames (hole mask ≥ lanes.affected_coverage of the lane \
            ROI; truth masks/ when the drive has them). With --report DIR, report.json, report.html \
            and frame strips are written there. A variant that cannot be computed is omitted with a note.

            Example: clearlane replay evaluation/sets/dev.yaml --report evaluation/reports/dev
            """
    )

    @Argument(help: "Drive folders and/or evaluation set files.")
    var inputs: [String]

    @Option(help: "Comma-separated variants: raw, clahe, gamma, restored, clean, and the restoration baselines copy-last, median.")
    var variants = "raw,clahe,gamma,restored,clean"

    @Option(help: "Write report.json, report.html and strips/ into this folder.")
    var report: String?

    @Option(help: "Config file (its lanes: section and processing size are used).")
    var config: String?

    @Option(help: "CPNet weights for the restored variant (default: the config's restorer.weights, models/cpnet-road-slim.safetensors).")
    var weights: String?

    @Option(help: "Camera profile for every drive (name in the cameras folder, or a path); overrides drive.yaml.")
    var camera: String?

    @Option(help: "Processing size (default: the config's processing size, 640x360).")
    var size: String?

    @Option(help: "Worst frames per drive rendered as strips.")
    var strips = 2

    @Option(help: "Replay at most this many frames of each drive.")
    var maxFrames: Int?

    @Option(help: ArgumentHelp("Time budget per frame for restoration, in milliseconds, as the daemon gives it (deadline_fraction / fps: 33.3 at 30 fps).",
                               discussion: "Restorations predicted to overrun it are not started and take the deadline fallback (restorer.deadline_fallback), as on the vehicle. Default: no budget, every frame is restored."))
    var frameBudgetMs: Double?

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        var chosen: [ReplayVariant] = []
        for name in variants.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let v = ReplayVariant(rawValue: name) else {
                throw ValidationError("--variants: '\(name)' is not a variant; use raw, clahe, gamma, restored, clean, copy-last, median")
            }
            chosen.append(v)
        }
        var options = DriveReplay.Options()
        options.variants = chosen
        if let frameBudgetMs {
            guard frameBudgetMs > 0 else { throw ValidationError("--frame-budget-ms must be > 0 milliseconds, got \(frameBudgetMs)") }
            options.frameBudget = frameBudgetMs / 1000
        }
        var configBase = FileManager.default.currentDirectoryPath + "/config"
        var loadedConfig: LoadedConfig?
        if let config {
            let loaded = try LoadedConfig.load(config)
            loadedConfig = loaded
            options.lanes = loaded.config.lanes
            options.processingSize = ImageSize(width: loaded.config.processing.width, height: loaded.config.processing.height)
            configBase = loaded.baseDirectory
            if options.camera == nil { options.camera = options.lanes.camera }
        }
        options.camerasFolder = options.lanes.camerasFolder.hasPrefix("/")
            ? options.lanes.camerasFolder : (configBase as NSString).appendingPathComponent(options.lanes.camerasFolder)
        if let camera { options.camera = camera }
        if let size {
            guard let s = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360") }
            options.processingSize = s
        }
        options.strips = strips
        options.maxFrames = maxFrames
        if let report {
            try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
            options.stripFolder = (report as NSString).appendingPathComponent("strips")
        }
        options.makeHoleDetector = HoleDetectors.live
        // The restored variant: the CPNet named by --weights, else the config's restorer.weights
        // (the shipped model by default). Without a weight file it is omitted with a note.
        let restorerConfig = loadedConfig?.config.restorer ?? RestorerConfig()
        let weightsPath: String
        if let weights {
            weightsPath = weights
        } else if let loadedConfig {
            weightsPath = loadedConfig.resolve(restorerConfig.weights)
        } else {
            weightsPath = FileManager.default.currentDirectoryPath + "/models/cpnet-road-slim.safetensors"
        }
        if chosen.contains(.restored), FileManager.default.fileExists(atPath: weightsPath) {
            // Loaded (and validated) once: a damaged file is an error here, not a silently missing variant.
            let model = try CPNetWeights(path: weightsPath)
            options.makeRestorer = { _ in CPNetRestoration(weights: model, config: restorerConfig) }
        }
        var entries: [(Drive, String?)] = []
        for input in inputs {
            if input.hasSuffix(".yaml") || input.hasSuffix(".yml") {
                // Sets list drive folders and recipes; recipes are generated into the set's cache once.
                let set = try EvaluationSet.load(input)
                for e in set.entries {
                    let folder = try set.materialize(e) { message in
                        if !quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
                    }
                    entries.append((try Drive(folder: folder), e.preset?.rawValue))
                }
            } else {
                entries.append((try Drive(folder: input), nil))
            }
        }
        let showProgress = !quiet && isatty(2) != 0
        var notes: [String] = []
        var drives: [DriveReport] = []
        for (k, (drive, preset)) in entries.enumerated() {
            var o = options
            if showProgress {
                let label = "[\(k + 1)/\(entries.count)] \(drive.name)"
                o.progress = { done, total in ProgressBar.draw(label: label, done: done, total: total) }
            }
            let result = try DriveReplay(drive: drive, preset: preset, options: o).run(notes: &notes)
            if showProgress { ProgressBar.finish() }
            drives.append(result)
        }
        if !chosen.contains(.restored) { notes.removeAll { $0.hasPrefix("restored:") } }
        let command = "clearlane " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let full = ReplayReport(command: command, processingSize: options.processingSize.description,
                                affectedCoverage: options.lanes.affectedCoverage, variants: chosen.map(\.rawValue),
                                notes: notes, drives: drives)
        print(full.table())
        if let report {
            try full.write(to: (report as NSString).appendingPathComponent("report.json"))
            try full.html().write(toFile: (report as NSString).appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
            print("wrote \(report)/report.json, report.html and \(drives.reduce(0) { $0 + $1.strips.count }) strips")
        }
    }
}

/// A one-line progress bar on stderr (only drawn on a terminal).
enum ProgressBar {
    static func draw(label: String, done: Int, total: Int?) {
        guard done % 5 == 0 || done == total else { return }
        var line = "\r\(label) "
        if let total, total > 0 {
            let width = 30, filled = min(width, done * width / total)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total)"
        } else {
            line += "\(done) frames"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
