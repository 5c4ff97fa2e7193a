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
            and frame strips are written there (beside it first, moved there when complete; never \
            into an input). A variant a drive cannot have (clean without clean frames) is omitted \
            with a note; restored without loadable weights is an error. A drive that fails \
            (unreadable video, bad labels, bad drive.yaml) is reported and skipped; the report lists \
            it as missing and the command exits non-zero after writing it.

            Example: clearlane replay evaluation/sets/dev.yaml --report evaluation/reports/dev
            """
    )

    @Argument(help: "Drive folders and/or evaluation set files.")
    var inputs: [String]

    @Option(help: "Comma-separated variants: raw, clahe, gamma, restored, clean, and the restoration baselines copy-last, median.")
    var variants = "raw,clahe,gamma,restored,clean"

    @Option(help: "Write report.json, report.html and strips/ into this folder (an earlier report there is replaced once the new one is complete).")
    var report: String?

    @Option(help: "Config file: its exposure:, lanes: and restorer: sections and processing size build every variant's stages, as the daemon's (StageFactory).")
    var config: String?

    @Option(help: "CPNet weights for the restored variant (default: the config's restorer.weights, else models/cpnet-road-slim.safetensors of the installed resources: \(DefaultResources.searchHelp)).")
    var weights: String?

    @Option(help: "Camera profile for every drive (name in the cameras folder, or a path); overrides drive.yaml. A config's lanes.camera serves only drives without one.")
    var camera: String?

    @Option(help: "Processing box (default: the config's processing size, 640x360); each drive is processed at the largest size with its own aspect ratio inside it.")
    var size: String?

    @Option(help: ArgumentHelp("Lane metric of the printed table: tusimple (official LaneEval.bench accuracy, FP, FN; CULane F1 beside it) or culane (precision, recall, F1).",
                               discussion: "report.json and report.html always carry both; docs/design/metrics.md defines them."))
    var metric = "tusimple"

    @Option(help: "Worst frames per drive rendered as strips.")
    var strips = 2

    @Option(help: "Replay at most this many frames of each drive.")
    var maxFrames: Int?

    @Option(help: ArgumentHelp("Time budget per frame for restoration, in milliseconds, as the daemon gives it (deadline_fraction / fps: 33.3 at 30 fps).",
                               discussion: "Restorations predicted to overrun it are not started and take the deadline fallback (restorer.deadline_fallback), as on the vehicle. Default: no budget, every frame is restored."))
    var frameBudgetMs: Double?

    @Option(help: ArgumentHelp("Replay only slice I of N of the inputs' drives (I/N: drives k with k mod N = I − 1, in input order).",
                               discussion: "Merge the shards' reports with `clearlane report merge`: the result equals one replay of all drives."))
    var shard: String?

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
        guard let tableMetric = ReplayReport.Metric(rawValue: metric) else {
            throw ValidationError("--metric: '\(metric)' is not a metric; use \(ReplayReport.Metric.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        var options = DriveReplay.Options()
        options.variants = chosen
        if let frameBudgetMs {
            guard frameBudgetMs > 0 else { throw ValidationError("--frame-budget-ms must be > 0 milliseconds, got \(frameBudgetMs)") }
            options.frameBudget = frameBudgetMs / 1000
        }
        // Defaults come from the installed resources, wherever the command runs (ResourceLocator);
        // with --config, its own paths resolve against its folder.
        let locator = ResourceLocator.current
        var loadedConfig: LoadedConfig?
        // The config's lanes.camera serves the drives whose drive.yaml names none; --camera overrides every drive's.
        var configCamera: String?
        if let config {
            let loaded: LoadedConfig
            do { loaded = try LoadedConfig.load(config) } catch { throw CommandFailure("\(error)") }
            loadedConfig = loaded
            options.stages = StageFactory(config: loaded.config, weights: nil)
            options.processingSize = ImageSize(width: loaded.config.processing.width, height: loaded.config.processing.height)
            options.camerasFolder = loaded.camerasFolder
            configCamera = options.lanes.camera.map(loaded.cameraReference)
        } else {
            options.camerasFolder = options.lanes.camerasFolder.hasPrefix("/")
                ? options.lanes.camerasFolder : (locator.configFolder as NSString).appendingPathComponent(options.lanes.camerasFolder)
        }
        if let camera { options.camera = camera }
        if let size {
            guard let s = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360") }
            options.processingSize = s
        }
        options.strips = strips
        options.maxFrames = maxFrames
        // The restored variant: the CPNet named by --weights, else the config's restorer.weights,
        // else the shipped model found like every default. Asked for and not loadable is an error,
        // never a silently missing variant.
        let restorerConfig = loadedConfig?.config.restorer ?? RestorerConfig()
        if chosen.contains(.restored) {
            let weightsPath: String
            let missing: String
            if let weights {
                weightsPath = weights
                missing = "the restored variant needs CPNet weights: --weights \(weights) not found"
            } else if let loadedConfig {
                weightsPath = loadedConfig.resolve(restorerConfig.weights)
                missing = "the restored variant needs CPNet weights: \(weightsPath) (restorer.weights of \(loadedConfig.file)) not found"
            } else {
                weightsPath = locator.path(ResourceLocator.defaultWeights)
                missing = locator.notFound(ResourceLocator.defaultWeights, what: "the restored variant's CPNet weights", flag: "--weights FILE")
            }
            guard FileManager.default.fileExists(atPath: weightsPath) else {
                var fix = "\(missing)"
                if weights != nil || loadedConfig != nil {
                    fix += "; give \(weights == nil ? "" : "another ")--weights FILE, or set \(ResourceLocator.environmentVariable) to a folder holding \(ResourceLocator.defaultWeights)"
                }
                throw CommandFailure(fix + ", or leave restored out of --variants")
            }
            // Loaded (and validated) once: a damaged file is an error here, not a silently missing variant.
            let model: CPNetWeights
            do { model = try CPNetWeights(path: weightsPath) } catch { throw CommandFailure("the restored variant: \(error)") }
            // Per drive: the memory's seconds take the drive's fps, the road plane its camera.
            options.stages.weights = model
            options.stages.restorer = restorerConfig
            // restorer.enabled: false switches the vehicle's restoration off, not the variant asked for.
            options.stages.restorer.enabled = true
        }
        // The drives to replay. A set file that does not load is an error up front (its drives are
        // unknown); a drive that fails later (generation, drive.yaml, video, labels) is skipped.
        var pending: [PendingDrive] = []
        var readInputs: [(path: String, role: String)] = []
        for input in inputs {
            if input.hasSuffix(".yaml") || input.hasSuffix(".yml") {
                // Sets list drive folders and recipes; recipes are generated into the set's cache once.
                let set: EvaluationSet
                do { set = try EvaluationSet.load(input) } catch { throw CommandFailure("\(error)") }
                readInputs.append((input, "evaluation set"))
                readInputs.append((set.cache, "cache of \(input)"))
                for e in set.entries {
                    let folder = set.folder(of: e)
                    readInputs += StagedOutput.driveInputs(folder, role: "drive of \(input)")
                    pending.append(PendingDrive(name: e.name, folder: folder, preset: e.preset?.rawValue, recipeFrames: e.frames) { [quiet] in
                        try set.materialize(e) { message in
                            if !quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
                        }
                    })
                }
            } else {
                readInputs += StagedOutput.driveInputs(input, role: "drive")
                pending.append(PendingDrive(name: URL(fileURLWithPath: input).standardized.lastPathComponent, folder: input, preset: nil,
                                            recipeFrames: nil, materialize: nil))
            }
        }
        // --shard: a deterministic slice; each drive keeps its index among all drives for the merge.
        var shardInfo: ReplayReport.Shard?
        var driveIndex = Array(pending.indices)
        if let shard {
            guard let parsed = ReplayReport.Shard(parsing: shard, totalDrives: pending.count) else {
                throw ValidationError("--shard must look like 2/5 (slice 2 of 5, 1 ≤ I ≤ N), got '\(shard)'")
            }
            shardInfo = parsed
            driveIndex = driveIndex.filter { parsed.contains(driveIndex: $0) }
            pending = driveIndex.map { pending[$0] }
        }
        // The report goes to a temporary sibling, moved onto --report once written; never into an input.
        var staged: StagedOutput?
        if let report {
            do {
                // An earlier report (or one whose writing stopped short) may be replaced; any other folder is left alone.
                staged = try StagedOutput(target: report, flag: "--report", inputs: readInputs, kind: "replay report") { folder in
                    let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                    return entries.contains("report.json") || entries.allSatisfy { ["report.html", "strips"].contains($0) }
                }
            } catch { throw CommandFailure("\(error)") }
            options.stripFolder = (staged!.staging as NSString).appendingPathComponent("strips")
        }
        let progress = ReplayProgress(estimates: pending.map { $0.estimatedFrames(maxFrames: maxFrames) },
                                      terminal: isatty(2) != 0, quiet: quiet)
        var notes: [String] = []
        var drives: [DriveReport] = []
        var failed: [FailedDrive] = []
        for (k, entry) in pending.enumerated() {
            let started = Date()
            do {
                let folder = try entry.materialize?() ?? entry.folder
                let drive = try Drive(folder: folder)
                var o = options
                if o.camera == nil, drive.manifest.camera == nil { o.camera = configCamera }
                o.progress = { done, total in progress.frame(drive: k, name: entry.name, done: done, total: total) }
                var result = try DriveReplay(drive: drive, preset: entry.preset, options: o).run(notes: &notes)
                result.index = driveIndex[k]
                drives.append(result)
                progress.finished(drive: k, name: entry.name, frames: result.frames, seconds: Date().timeIntervalSince(started))
            } catch {
                failed.append(FailedDrive(name: entry.name, path: entry.folder, error: "\(error)", index: driveIndex[k]))
                progress.failed(drive: k, name: entry.name, error: "\(error)")
            }
        }
        if !chosen.contains(.restored) { notes.removeAll { $0.hasPrefix("restored:") } }
        let command = "clearlane " + CommandLine.arguments.dropFirst().joined(separator: " ")
        var full = ReplayReport(command: command, processingSize: options.processingSize.description,
                                affectedCoverage: options.lanes.affectedCoverage, variants: chosen.map(\.rawValue),
                                notes: notes, drives: drives, failedDrives: failed)
        full.shard = shardInfo
        let table = full.table(metric: tableMetric)
        print(table)
        if let report, let staged {
            try full.write(to: (staged.staging as NSString).appendingPathComponent("report.json"))
            try (table + "\n").write(toFile: (staged.staging as NSString).appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
            try full.writeHTML(to: staged.staging)
            try staged.commit()
            print("wrote \(report)/report.json, report.html, report.txt and \(drives.reduce(0) { $0 + $1.strips.count }) strips")
        }
        // After the report: the run is incomplete, and scripts must be able to tell.
        if !failed.isEmpty {
            throw CommandFailure("\(failed.count) of \(pending.count) drive\(pending.count == 1 ? "" : "s") failed and \(failed.count == 1 ? "is" : "are") missing from the report: "
                                 + failed.map(\.name).joined(separator: ", "))
        }
    }
}

/// A drive to replay: a folder, or a set's recipe generated on first use.
struct PendingDrive {
    var name: String
    var folder: String
    var preset: String?
    /// Frames a set's recipe will generate, when it says.
    var recipeFrames: Int?
    var materialize: (() throws -> String)?

    /// Frames expected (for the time left): numbered images counted, else drive.yaml's `frames:`,
    /// else what the recipe generates.
    func estimatedFrames(maxFrames: Int?) -> Int? {
        var frames = recipeFrames
        if Drive.isDrive(folder), let drive = try? Drive(folder: folder) {
            if case .images(let sequence) = drive.frames { frames = sequence.count } else { frames = drive.manifest.frames ?? frames }
        }
        guard let frames else { return maxFrames }
        return maxFrames.map { min($0, frames) } ?? frames
    }
}
