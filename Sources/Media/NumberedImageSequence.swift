import Foundation

/// A folder of numbered images as multifilesrc sees them: `dir/%06d.png`, from the first to the
/// last index, with no gaps.
public struct NumberedImageSequence: Sendable, Equatable {
    public let folder: String
    /// printf-style pattern, e.g. "/drive/frames/%06d.png".
    public let pattern: String
    public let firstIndex: Int
    public let lastIndex: Int
    public let isPNG: Bool

    public var count: Int { lastIndex - firstIndex + 1 }

    public init(folder: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaError.fileNotFound(path: folder)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        // Group numbered files by (digits, extension) and take the largest group.
        var groups: [String: [Int]] = [:]
        for name in names {
            let url = URL(fileURLWithPath: name)
            let ext = url.pathExtension.lowercased()
            let stem = url.deletingPathExtension().lastPathComponent
            guard ["png", "jpg", "jpeg"].contains(ext), !stem.isEmpty, stem.allSatisfy(\.isNumber), let n = Int(stem) else { continue }
            groups["\(stem.count).\(url.pathExtension)", default: []].append(n)
        }
        guard let (key, indices) = groups.max(by: { $0.value.count < $1.value.count }) else {
            throw MediaError.noNumberedImages(folder: folder)
        }
        let sorted = indices.sorted()
        let parts = key.split(separator: ".", maxSplits: 1)
        let digits = Int(parts[0])!, ext = String(parts[1])
        // The run of consecutive indices from the first one; multifilesrc stops at a gap.
        var last = sorted[0]
        for n in sorted.dropFirst() where n == last + 1 { last = n }
        self.folder = folder
        self.pattern = (folder as NSString).appendingPathComponent("%0\(digits)d.\(ext)")
        self.firstIndex = sorted[0]
        self.lastIndex = last
        self.isPNG = ext.lowercased() == "png"
    }

    public func path(ofIndex index: Int) -> String {
        String(format: pattern, index)
    }
}
