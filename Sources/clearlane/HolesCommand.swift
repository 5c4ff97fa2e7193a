import ArgumentParser
import Exposure
import Foundation
import Imaging
import Pipeline
import Synthesis

struct HolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holes",
        abstract: "Scores the live hole detector (ExposureAnalyzer) against a drive's truth masks; draws a contact sheet.",
        discussion: """
            For each DRIVE (made by synth or degrade, so it has masks/), runs the ExposureAnalyzer \
            on the degraded frames and compares its holes with the truth inside the lane ROI: IoU, \
            recall and precision, pooled over all frames. With --sheet, writes a PNG with, per kept \
            frame, clean | degraded | truth holes (red) | detected holes (cyan).

            Example: clearlane holes /tmp/tunnel-exit-7 /tmp/underpass-7 --sheet evaluation/reports/contact-sheet.png
            """
    )

    @Argument(help: "Drive folders with masks/.")
    var drives: [String] = []

    @Option(help: "An evaluation set (evaluation/sets/*.yaml): its drives are generated where missing and scored, with a summary per preset.")
    var set: String?

    @Option(help: "The YAML config whose exposure: section the detector runs with, as on the vehicle (default: config/default.yaml of the installed resources; its defaults when none is installed).")
    var config: String?

    @Option(help: "Write a contact sheet PNG here.")
    var sheet: String?

    @Option(help: "Frames per drive on the contact sheet.")
    var sheetFrames: Int = 2

    @Option(help: "Tile width on the contact sheet (height follows 16:9).")
    var tileWidth: Int = 256

    func run() throws {
        // The exposure: section the vehicle runs with, never the detector's built-in defaults.
        var exposure = ExposureConfig()
        if let (file, loaded) = try DefaultResources.optionalConfig(config) {
            exposure = loaded.exposure
            print("exposure: settings of \(file)")
        }
        var rows: [[RGBImage]] = []
        var total = HoleScore()
        func pct(_ v: Double?) -> String { v.map { String(format: "%5.1f%%", 100 * $0) } ?? "   n/a" }
        var folders = drives.map { ($0, "") }
        if let set {
            let evaluationSet: EvaluationSet
            do { evaluationSet = try EvaluationSet.load(set) } catch { throw CommandFailure("\(error)") }
            for entry in evaluationSet.entries {
                let folder: String
                do {
                    folder = try evaluationSet.materialize(entry) { print($0) }
                } catch { throw CommandFailure("holes: \(entry.name): \(error)") }
                let kind: String
                switch entry.recipe { case .synth: kind = "synth"; case .degrade: kind = "degrade"; case .path: kind = "sample" }
                folders.append((folder, "\(kind) \(entry.preset?.rawValue ?? entry.name)"))
            }
        }
        guard !folders.isEmpty else { throw ValidationError("give drive folders or --set FILE") }
        var groups: [(String, HoleScore)] = []
        print("drive                                   frames   IoU  recall precision truth(ROI)")
        for (folder, group) in folders {
            let result: HoleEvaluation.Result
            do {
                result = try HoleEvaluation.evaluate(drive: folder, configuration: exposure, keep: sheet == nil ? 0 : sheetFrames)
            } catch {
                throw CommandFailure("holes: \(folder): \(error)")
            }
            let s = result.score
            total = total + s
            if !group.isEmpty {
                if let i = groups.firstIndex(where: { $0.0 == group }) { groups[i].1 = groups[i].1 + s } else { groups.append((group, s)) }
            }
            print(String(format: "%@ %5d %@ %@ %@ %9d", result.drive.padding(toLength: 40, withPad: " ", startingAt: 0), s.frames, pct(s.iou), pct(s.recall), pct(s.precision), s.truth))
            for sample in result.samples.sorted(by: { $0.frame < $1.frame }) {
                rows.append([sample.clean ?? sample.degraded, sample.degraded,
                             ContactSheet.overlay(sample.degraded, mask: sample.truth, color: RGB(255, 40, 40)),
                             ContactSheet.overlay(sample.degraded, mask: sample.detected, color: RGB(40, 230, 255))])
            }
        }
        if !groups.isEmpty {
            print("\nper preset (pooled over the set's drives)       IoU  recall precision")
            for (group, s) in groups {
                print(String(format: "%@ %5d %@ %@ %@ %9d", group.padding(toLength: 40, withPad: " ", startingAt: 0), s.frames, pct(s.iou), pct(s.recall), pct(s.precision), s.truth))
            }
        }
        if folders.count > 1 {
            print(String(format: "%@ %5d %@ %@ %@ %9d", "all".padding(toLength: 40, withPad: " ", startingAt: 0), total.frames, pct(total.iou), pct(total.recall), pct(total.precision), total.truth))
        }
        if let sheet, !rows.isEmpty {
            let tile = ImageSize(width: tileWidth, height: tileWidth * 9 / 16)
            try ContactSheet.writePNG(ContactSheet.compose(rows: rows, tile: tile), to: sheet)
            print("contact sheet: \(sheet) (\(rows.count) rows: clean | degraded | truth holes red | detected holes cyan)")
        }
    }
}
