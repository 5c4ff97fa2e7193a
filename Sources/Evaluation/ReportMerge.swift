import Foundation

extension ReplayReport {
    /// Why reports cannot be merged.
    public struct MergeError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Merges reports of disjoint slices of one replay (`clearlane replay --shard I/N`, or separate
    /// replays of separate drives) into the report one replay of all of them would have written:
    /// drives in their replay order (`index`), figures pooled from the drives' stored sums and
    /// counts in that order, so every figure is identical to the last digit. Only `created`,
    /// `command` and the timing figures (`replay_fps`, `detector_fps`), which no two runs share,
    /// can differ. Reports must agree on variants, processing size, affected coverage and schema;
    /// a drive in two reports is an error; shards that are missing are named in a note.
    public static func merged(_ reports: [ReplayReport], command: String) throws -> ReplayReport {
        guard let first = reports.first else { throw MergeError(description: "nothing to merge") }
        for (k, r) in reports.enumerated() {
            guard r.schema == first.schema else {
                throw MergeError(description: "report \(k + 1) has schema \(r.schema), report 1 \(first.schema): regenerate the older one")
            }
            guard r.variants == first.variants, r.processingSize == first.processingSize, r.affectedCoverage == first.affectedCoverage else {
                throw MergeError(description: "report \(k + 1) was replayed with other settings (variants \(r.variants.joined(separator: ",")), "
                                 + "processing \(r.processingSize), affected coverage \(r.affectedCoverage)) than report 1 "
                                 + "(\(first.variants.joined(separator: ",")), \(first.processingSize), \(first.affectedCoverage))")
            }
        }
        var drives: [DriveReport] = [], failed: [FailedDrive] = []
        var notes: [String] = []
        for r in reports {
            drives += r.drives
            failed += r.failedDrives ?? []
            notes += r.notes
        }
        // Replay order: by index where every drive has one, else the order given.
        let indexed = drives.allSatisfy { $0.index != nil } && failed.allSatisfy { $0.index != nil }
        if indexed {
            var seen: [Int: String] = [:]
            for (index, name) in drives.map({ ($0.index!, $0.name) }) + failed.map({ ($0.index!, $0.name) }) {
                if let other = seen[index] {
                    throw MergeError(description: "drive \(index) is in two reports (\(other), \(name)): merge each shard once")
                }
                seen[index] = name
            }
            drives.sort { $0.index! < $1.index! }
            failed.sort { $0.index! < $1.index! }
        }
        let shards = reports.compactMap(\.shard)
        var merged = ReplayReport(command: command, processingSize: first.processingSize, affectedCoverage: first.affectedCoverage,
                                  variants: first.variants, notes: notes, drives: drives, failedDrives: failed)
        if let total = shards.first?.totalDrives, indexed {
            let have = Set(drives.compactMap(\.index) + failed.compactMap(\.index))
            let missing = (0..<total).filter { !have.contains($0) }
            if !missing.isEmpty {
                let count = shards.first!.count
                let absentShards = Set(missing.map { $0 % count + 1 }).sorted().map { "\($0)/\(count)" }
                merged.notes.append("incomplete: \(missing.count) of \(total) drives are in no merged report (shards \(absentShards.joined(separator: ", ")))")
                merged.shard = nil
            }
        }
        return merged
    }
}
