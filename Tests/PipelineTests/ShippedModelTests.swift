import CPNet
import Configuration
import Drives
import Evaluation
import Foundation
import Imaging
import Pipeline
import Testing

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped model, end to end: it validates, and restores the committed sample drive (the real
/// clip filmed out of a tunnel).
@Suite("Shipped CPNet model")
struct ShippedModelTests {
    static let model = repo.appendingPathComponent("models/cpnet-road-slim.safetensors").path

    @Test func shippedModelValidatesWithItsMetadata() throws {
        let weights = try CPNetWeights(path: Self.model)
        #expect(weights.metadata["arch"] == "cpnet")
        #expect(weights.metadata["steps"] != nil && weights.metadata["commit"] != nil, "training provenance recorded")
    }

    /// What the shipped model measurably does on the sample (with the shipped restorer settings):
    /// its fill is closer to the truth than the blown-out pixels it replaces (hole PSNR vs clean/),
    /// and exposure-affected lane accuracy rises over raw (measured 95.0 % vs 66.9 % with the
    /// full-size aligned paste, hole PSNR 24.04 vs 23.71 dB; 68.4 % with the decoder's fill; since
    /// lost lines are held 0.267 s, decision 0045, 91.3 % vs 75.1 %: the longer hold lifts raw
    /// more). The margins asserted sit below the measured ones by what OpenBLAS threading can move
    /// and leave the decoder's fill failing; the issue-6 targets (+25 points on held-out drives)
    /// are not met.
    @Test func restoringTheSampleDriveBringsHolePixelsCloserToTheTruth() throws {
        let drive = try Drive(folder: repo.appendingPathComponent("evaluation/samples/solidWhiteRight-tunnel-exit").path)
        var options = DriveReplay.Options()
        options.variants = [.raw, .restored]
        options.camerasFolder = repo.appendingPathComponent("config/cameras").path
        options.strips = 0
        options.stages.weights = try CPNetWeights(path: Self.model)
        var notes: [String] = []
        let report = try DriveReplay(drive: drive, options: options).run(notes: &notes)
        let raw = try #require(report.variants["raw"])
        let restored = try #require(report.variants["restored"], "notes: \(notes)")
        #expect(raw.exposureAffected.frames >= 5, "the sample has exposure-affected labeled frames")
        let rawHoles = try #require(raw.quality?.psnrHoles), restoredHoles = try #require(restored.quality?.psnrHoles)
        #expect(restoredHoles >= rawHoles + 0.2, "hole PSNR restored \(restoredHoles) dB vs raw \(rawHoles) dB")
        #expect(restored.exposureAffected.accuracy >= raw.exposureAffected.accuracy + 0.12,
                "restored \(restored.exposureAffected.accuracy) vs raw \(raw.exposureAffected.accuracy)")
    }
}
