import Configuration
import Drives
import Foundation
import NeuralEngine
import Pipeline

/// The file parsers that read what users and other programs hand to ClearLane, each fed one input
/// from memory the way its file reader feeds it. Shared by the bounded CI pass (the
/// ParserFuzzingTests) and the libFuzzer driver in fuzz/.
///
/// The contract under test: every input either parses or is rejected with the parser's own error
/// type, whose message names the file. A trap (overflow, out-of-range index, failed precondition)
/// is a finding, and so is any other error type (`Outcome.unexpected`).
public enum ParserTarget: String, CaseIterable, Sendable {
    /// A ClearLane config (config/default.yaml): YAML syntax, types, unknown keys, ranges.
    case config
    /// A safetensors weight file: header JSON, layout, values.
    case safetensors
    /// TuSimple labels.json (JSON lines).
    case tusimple
    /// One CULane NNNNNN.lines.txt, resampled at the drive's rows as `LaneLabelFile` does.
    case culane
    /// drive.yaml.
    case drive
    /// exposure.json.
    case exposure

    public enum Outcome: Equatable, Sendable {
        case parsed
        /// The parser's own error; the message names the file.
        case rejected(String)
        /// Anything else: an error of a foreign type or one that does not say which file.
        case unexpected(String)
    }

    /// The name the input goes by in error messages.
    public var fileName: String {
        switch self {
        case .config: "fuzz/config.yaml"
        case .safetensors: "fuzz/weights.safetensors"
        case .tusimple: "fuzz/labels.json"
        case .culane: "fuzz/labels/000042.lines.txt"
        case .drive: "fuzz/drive.yaml"
        case .exposure: "fuzz/exposure.json"
        }
    }

    /// Image height the CULane rows are laid out for (the real drives are 360–720 rows).
    static let culaneImageHeight = 720

    public func run(_ bytes: [UInt8]) -> Outcome {
        let file = fileName
        // The text readers turn a file into a String (rejecting invalid UTF-8); decoding with
        // replacement characters instead keeps mutated inputs reaching the parser.
        let text = { String(decoding: bytes, as: UTF8.self) }
        let rejection: any Error
        do {
            switch self {
            case .config:
                let loader = try YAMLLoader(file: file, text: text())
                let config = try loader.decode(ClearLaneConfig.self)
                let problems = config.problems().map { loader.error(at: $0.path, $0.message) }
                if !problems.isEmpty { throw ConfigErrors(problems) }
            case .safetensors:
                _ = try bytes.withUnsafeBytes { raw throws(SafetensorsError) in try SafetensorsFile.validate(raw, file: file) }
            case .tusimple:
                _ = try LaneLabelFile(path: file, text: text())
            case .culane:
                let lanes = try LaneLabelFile.parseCULane(text(), file: file)
                let rows = LaneLabelFile.culaneRows(lanes, imageHeight: Self.culaneImageHeight)
                for lane in lanes { _ = LaneLabelFile.resample(lane, rows: rows) }
            case .drive:
                _ = try DriveManifest.parse(text(), file: file)
            case .exposure:
                _ = try ExposureLog.decode(Data(bytes), file: file)
            }
            return .parsed
        } catch {
            rejection = error
        }
        let message = String(describing: rejection)
        let ownType: Bool
        switch self {
        case .config, .drive: ownType = rejection is ConfigError || rejection is ConfigErrors
        case .safetensors: ownType = rejection is SafetensorsError
        case .tusimple, .culane, .exposure: ownType = rejection is LaneLabelFile.Problem
        }
        guard ownType, message.contains(file) else {
            return .unexpected("\(type(of: rejection)): \(message)")
        }
        return .rejected(message)
    }
}
