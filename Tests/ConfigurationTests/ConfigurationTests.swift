import CPNet
import Configuration
import Foundation
import Imaging
import Lanes
import Pipeline
import Testing

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Writes `text` as a config file next to the repository's config/ (so ../pipelines resolves)
/// and loads it.
func load(_ text: String) throws -> LoadedConfig {
    let file = Repo.path("config/.test-\(UUID().uuidString).yaml")
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    return try LoadedConfig.load(file)
}

/// The single error `text` produces.
func error(of text: String) -> ConfigError? {
    do {
        _ = try load(text)
        return nil
    } catch let error as ConfigError {
        return error
    } catch let errors as ConfigErrors {
        return errors.errors.first
    } catch {
        return nil
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    @Test func shippedDefaultsLoadAndEqualTheBuiltInDefaults() throws {
        let loaded = try LoadedConfig.load(Repo.path("config/default.yaml"))
        // Every key shows its default, except the camera: the shipped file names its source's
        // camera, an absent key means none (clearlane run then refuses to guess).
        var expected = ClearLaneConfig()
        expected.lanes.camera = "udacity-960x540"
        #expect(loaded.config == expected)
        #expect(ClearLaneConfig().lanes.camera == nil)
        let source = try loaded.sourceFragment()
        #expect(source.fragment.hasPrefix("filesrc location=\(Repo.path("evaluation/samples/solidWhiteRight.mp4"))"))
        #expect(source.live == false)
    }

    @Test func emptyFileTakesAllDefaults() throws {
        #expect(try load("").config == ClearLaneConfig())
        #expect(try load("# only a comment\n").config.processing.width == 640)
    }

    @Test func wrongTypeNamesKeyPathAndLine() throws {
        let e = try #require(error(of: "processing:\n  width: 640\n  fps: fast\n"))
        #expect(e.keyPath == "processing.fps")
        #expect(e.line == 3)
        #expect(e.message.contains("a number"))
        #expect(e.description.contains(".yaml:3:"))
    }

    @Test func unknownKeyIsATypoNotSilence() throws {
        let e = try #require(error(of: "source:\n  template: file\n  stall_timeout: 3\n"))
        #expect(e.keyPath == "source.stall_timeout")
        #expect(e.line == 3)
        #expect(e.message.contains("stall_timeout_s"))
    }

    @Test func restoredReferenceMotionIsAShareOfThetasMotion() throws {
        #expect(try load("restorer:\n  restored_reference_motion: 0.25\n").config.restorer.restoredReferenceMotion == 0.25)
        let e = try #require(error(of: "restorer:\n  restored_reference_motion: 1.5\n"))
        #expect(e.keyPath == "restorer.restored_reference_motion")
        #expect(e.line == 2)
    }

    @Test func darkenPastesIsOffUnlessAsked() throws {
        #expect(try load("restorer:\n  references: 4\n").config.restorer.darkenPastes == false)
        #expect(try load("restorer:\n  darken_pastes: true\n").config.restorer.darkenPastes)
        let e = try #require(error(of: "restorer:\n  darken_pastes: 0.5\n"))
        #expect(e.keyPath == "restorer.darken_pastes")
    }

    @Test func laneTrackLimitsAreLaneDetectorSettingsInSeconds() throws {
        #expect(try load("lanes:\n  detector:\n    hole_hold_s: 1.5\n").config.lanes.detector.holeHoldSeconds == 1.5)
        let d = try load("lanes:\n  detector:\n    hold_s: 0.2\n    carry_s: 0.5\n").config.lanes.detector
        #expect(d.holdSeconds == 0.2 && d.carrySeconds == 0.5 && d.holeHoldSeconds == 3)
        let e = try #require(error(of: "lanes:\n  detector:\n    hole_hold_s: 40\n"))
        #expect(e.keyPath == "lanes.detector.hole_hold_s")
        #expect(e.line == 3)
        // The frame-counted keys are an error that names their replacement.
        for (old, new) in [("hold_frames", "hold_s"), ("carry_frames", "carry_s"), ("hole_hold_frames", "hole_hold_s")] {
            let removed = try #require(error(of: "lanes:\n  detector:\n    \(old): 4\n"))
            #expect(removed.keyPath == "lanes.detector.\(old)" && removed.message.contains(new), "\(removed.message)")
        }
    }

    /// `lanes.filmed_against_filmed` (on by default) reaches the pipeline the stage factory builds.
    @Test func filmedAgainstFilmedIsALanesSwitchThePipelineTakes() throws {
        let on = try load("lanes:\n  prefer_filmed: true\n").config.lanes
        let off = try load("lanes:\n  filmed_against_filmed: false\n").config.lanes
        #expect(on.filmedAgainstFilmed && !off.filmedAgainstFilmed)
        let geometry = RoadGeometry(imageSize: ImageSize(width: 640, height: 360),
                                    roi: [Point2(0, 360), Point2(300, 220), Point2(340, 220), Point2(640, 360)],
                                    roadQuad: [Point2(110, 360), Point2(280, 240), Point2(370, 240), Point2(540, 360)], horizonY: 200)
        for lanes in [on, off] {
            let pipeline = try #require(StageFactory(lanes: lanes).pipeline(geometry: geometry, fps: 30))
            #expect(pipeline.judgesFilmedAgainstFilmed == lanes.filmedAgainstFilmed)
        }
        let e = try #require(error(of: "lanes:\n  filmed_against_filmed: sometimes\n"))
        #expect(e.keyPath == "lanes.filmed_against_filmed" && e.line == 2)
    }

    @Test func restorerPasteTakesOneOfItsNamedSources() throws {
        #expect(try load("restorer:\n  paste: decoder\n").config.restorer.paste == .decoder)
        #expect(try load("restorer:\n  paste: blend\n").config.restorer.paste == .blendAligned)
        #expect(try load("restorer:\n  enabled: true\n").config.restorer.paste == .oldestAligned)
        let e = try #require(error(of: "restorer:\n  paste: copy\n"))
        #expect(e.keyPath == "restorer.paste")
        #expect(e.line == 2)
    }

    @Test func restorerMemoryIsInSecondsAndAlignmentIsNamed() throws {
        let c = try load("restorer:\n  stride_s: 0.1\n  max_reference_age_s: 1.5\n  align: road-plane\n  road_recent: 2\n  road_kept: 0\n").config.restorer
        #expect(c.strideSeconds == 0.1 && c.maxReferenceAgeSeconds == 1.5 && c.align == .roadPlane && c.roadRecent == 2 && c.roadKept == 0)
        #expect(try load("restorer:\n  enabled: true\n").config.restorer.align == .affine)
        // The frame-counted keys are gone, with an error that names their replacement.
        let stride = try #require(error(of: "restorer:\n  stride: 2\n"))
        #expect(stride.keyPath == "restorer.stride" && stride.message.contains("stride_s"))
        let age = try #require(error(of: "restorer:\n  max_reference_age: 24\n"))
        #expect(age.keyPath == "restorer.max_reference_age" && age.message.contains("max_reference_age_s"))
        #expect(error(of: "restorer:\n  align: homography\n")?.keyPath == "restorer.align")
        #expect(error(of: "restorer:\n  stride_s: 0\n")?.keyPath == "restorer.stride_s")
        #expect(error(of: "restorer:\n  road_recent: 0\n")?.keyPath == "restorer.road_recent")
    }

    @Test func outOfRangeValuesAreAllReportedWithLines() throws {
        do {
            _ = try load("processing:\n  width: 641\n  height: 360\n  fps: 0\n")
            Issue.record("expected errors")
        } catch let errors as ConfigErrors {
            #expect(errors.errors.map(\.keyPath) == ["processing.width", "processing.fps"])
            #expect(errors.errors.map(\.line) == [2, 4])
            #expect(errors.errors[0].message.contains("even"))
        }
    }

    @Test func unknownTemplateListsTheAvailableOnes() throws {
        let e = try #require(error(of: "source:\n  template: webcam\n"))
        #expect(e.keyPath == "source.template")
        #expect(e.line == 2)
        #expect(e.message.contains("v4l2") && e.message.contains("rtsp-h264"))
    }

    @Test func templateParametersAreChecked() throws {
        let missing = try #require(error(of: "source:\n  template: rtsp-h264\n"))
        #expect(missing.keyPath == "source.parameters.url")
        #expect(missing.message.contains("required"))

        let unknown = try #require(error(of: "source:\n  template: v4l2\n  parameters:\n    dev: /dev/video1\n"))
        #expect(unknown.keyPath == "source.parameters.dev")
        #expect(unknown.line == 4)

        let badInt = try #require(error(of: "source:\n  template: udp-h264\n  parameters:\n    port: fivethousand\n"))
        #expect(badInt.keyPath == "source.parameters.port")
        #expect(badInt.message.contains("integer"))
    }

    @Test func invalidYAMLNamesTheLine() throws {
        let e = try #require(error(of: "source:\n  template: file\n   parameters: [\n"))
        #expect(e.message.contains("not valid YAML"))
        #expect(e.line != nil)
    }

    @Test func missingFileIsAClearError() {
        #expect {
            _ = try LoadedConfig.load("/nonexistent/clearlane.yaml")
        } throws: { error in
            (error as? ConfigError)?.message.contains("cannot be read") == true
        }
    }

    @Test func pathParametersResolveAgainstTheConfigFolderAndAreQuoted() throws {
        let loaded = try load("source:\n  template: file\n  parameters:\n    location: ../my drives/a.mp4\n")
        let fragment = try loaded.sourceFragment().fragment
        #expect(fragment == "filesrc location=\"\(Repo.path("my drives/a.mp4"))\" ! decodebin")
    }

    @Test func videoOutputTemplateMustBeASink() throws {
        let e = try #require(error(of: "outputs:\n  video:\n    template: file\n    parameters: {location: x.mkv}\n"))
        #expect(e.keyPath == "outputs.video.template")
        #expect(e.line == 3)
    }

    @Test func everyShippedTemplateLoadsAndUsesItsParameters() throws {
        let library = try PipelineTemplateLibrary(directory: Repo.path("pipelines"))
        #expect(Set(library.names(of: .source)).isSuperset(of: ["file", "file-realtime", "images", "v4l2", "rtsp-h264", "udp-h264", "test"]))
        #expect(Set(library.names(of: .sink)).isSuperset(of: ["mkv-lossless", "mkv", "mp4", "png-files"]))
        for template in library.templates.values {
            let required = template.parameters.filter { $0.spec.defaultValue == nil }
            var values: [String: String] = [:]
            for (name, spec) in required { values[name] = spec.type == .int ? "1" : "x" }
            let text = try template.instantiate(values, baseDirectory: "/tmp", at: [], in: nil)
            #expect(!text.contains("${"), "template \(template.name) left a placeholder")
        }
    }
}
