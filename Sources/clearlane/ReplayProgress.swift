import Foundation

/// Progress of a replay over several drives, on stderr: on a terminal one line redrawn in place
/// (drive k of n, its frames, all frames done of the estimated total, time left); piped, one plain
/// line per finished drive (`[3/12] drive-name 240 frames 41.2 s, ETA 5 min`). A drive that fails
/// gets its own line either way. Frame totals come from the drive (numbered images), else its
/// drive.yaml `frames:`, else the mean of the drives that have one.
final class ReplayProgress {
    private let terminal: Bool
    private let plainLines: Bool
    private let started = Date()
    private var estimates: [Int?]
    private var finishedFrames = 0
    private var currentFrames = 0
    private var drawnAt = Date.distantPast
    private var drawn = false

    /// - Parameters:
    ///   - estimates: frames expected per drive (nil: unknown).
    ///   - terminal: stderr is a terminal (redraw one line).
    ///   - quiet: no progress at all (failures are still reported).
    init(estimates: [Int?], terminal: Bool, quiet: Bool) {
        self.estimates = estimates
        self.terminal = terminal && !quiet
        plainLines = !terminal && !quiet && estimates.count > 1
    }

    private var count: Int { estimates.count }

    /// Frames expected in all drives (unknown ones at the mean of the known ones; nil when none is known).
    private var estimatedTotal: Int? {
        let known = estimates.compactMap { $0 }
        guard !known.isEmpty else { return nil }
        let mean = Double(known.reduce(0, +)) / Double(known.count)
        return known.reduce(0, +) + Int((mean * Double(estimates.count - known.count)).rounded())
    }

    /// Seconds left, from the frame rate so far (nil before the first frame or without any total).
    private func secondsLeft(done: Int) -> Double? {
        let elapsed = Date().timeIntervalSince(started)
        guard done > 0, elapsed > 0.5, let total = estimatedTotal else { return nil }
        return max(0, Double(total - done)) * elapsed / Double(done)
    }

    /// During drive `index`: `done` of its frames (`total` when the drive knows it).
    func frame(drive index: Int, name: String, done: Int, total: Int?) {
        if let total, estimates[index] != total { estimates[index] = total }
        currentFrames = done
        guard terminal else { return }
        let now = Date()
        guard now.timeIntervalSince(drawnAt) >= 0.2 || done == total else { return }
        drawnAt = now
        let all = finishedFrames + done
        var line = "[\(index + 1)/\(count)] \(name) "
        if let total = total ?? estimates[index], total > 0 {
            let width = 20, filled = min(width, done * width / total)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total)"
        } else {
            line += "\(done) frames"
        }
        if count > 1, let total = estimatedTotal { line += " · all \(all)/\(total > all ? "~\(total)" : "\(all)") frames" }
        if let left = secondsLeft(done: all) { line += " · ETA \(Self.duration(left))" }
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        drawn = true
    }

    /// Drive `index` replayed: `frames` in `seconds`.
    func finished(drive index: Int, name: String, frames: Int, seconds: Double) {
        finishedFrames += frames
        estimates[index] = frames
        currentFrames = 0
        clearLine()
        guard plainLines else { return }
        var line = String(format: "[%d/%d] %@ %d frames %.1f s", index + 1, count, name, frames, seconds)
        if index + 1 < count, let left = secondsLeft(done: finishedFrames) { line += ", ETA \(Self.duration(left))" }
        if index + 1 == count { line += ", all done in \(Self.duration(Date().timeIntervalSince(started)))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Drive `index` failed: reported at once (also when quiet), left out of the estimate.
    func failed(drive index: Int, name: String, error: String) {
        finishedFrames += currentFrames
        estimates[index] = currentFrames
        currentFrames = 0
        clearLine()
        let first = error.split(separator: "\n").first.map(String.init) ?? error
        FileHandle.standardError.write(Data("[\(index + 1)/\(count)] \(name) FAILED, skipped: \(first)\n".utf8))
    }

    private func clearLine() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min\(s % 60 >= 10 && s < 600 ? " \(s % 60) s" : "")" }
        return "\(s / 3600) h \((s % 3600) / 60) min"
    }
}
