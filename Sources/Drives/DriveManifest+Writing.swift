import Foundation

extension DriveManifest {
    /// drive.yaml text for this manifest (the reader's format; camera inline or by name).
    public func yamlText(comment: String? = nil) -> String {
        var lines: [String] = []
        if let comment { lines += comment.split(separator: "\n").map { "# \($0)" } }
        lines.append("fps: \(DriveManifest.number(fps))")
        lines.append("width: \(width)")
        lines.append("height: \(height)")
        switch camera {
        case .named(let name)?:
            lines.append("camera: \(DriveManifest.quoted(name))")
        case .inline(let profile)?:
            lines.append("camera:")
            lines.append("  roi: \(DriveManifest.points(profile.roi))")
            lines.append("  birdseye: \(DriveManifest.points(profile.birdseye))")
            if let horizon = profile.horizonY { lines.append("  horizon_y: \(DriveManifest.number(horizon))") }
        case nil:
            break
        }
        lines.append("source: \(DriveManifest.quoted(source))")
        lines.append("license: \(DriveManifest.quoted(license))")
        if let labels { lines.append("labels: \(DriveManifest.quoted(labels))") }
        if let frames { lines.append("frames: \(frames)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes drive.yaml into `folder`.
    public func write(toFolder folder: String, comment: String? = nil) throws {
        try yamlText(comment: comment).write(toFile: (folder as NSString).appendingPathComponent("drive.yaml"), atomically: true, encoding: .utf8)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3f", value)
            .replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    static func points(_ points: [[Double]]) -> String {
        "[" + points.map { "[" + $0.map(number).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for c in text {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
