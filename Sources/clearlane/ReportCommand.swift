import ArgumentParser
import Drives
import Evaluation
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Works with replay reports.",
        subcommands: [Merge.self, Render.self, Compare.self]
    )

    /// FOLDER/report.json, or one error that says which folder holds none or what it holds.
    static func load(_ folder: String) throws -> ReplayReport {
        let path = (folder as NSString).appendingPathComponent("report.json")
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("\(folder): no report.json (give the folders `clearlane replay --report` wrote)")
        }
        do { return try ReplayReport.read(path) } catch {
            throw CommandFailure("\(path): not a replay report (\(error))")
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merges replay reports of disjoint drives (e.g. the shards of `clearlane replay --shard I/N`) into one.",
            discussion: """
                Reads DIR/report.json of each report, puts the drives back in replay order and pools \
                their stored sums and counts exactly as one replay of all of them would: report.json \
                is identical to that replay's except for created, command and the timing figures \
                (replay_fps, detector_fps). Strips are copied. Reports must share variants, \
                processing size and affected coverage; a drive in two reports is an error; missing \
                shards are named in a note.

                Example: clearlane report merge out/shard-1 out/shard-2 out/shard-3 --out out/all
                """
        )

        @Argument(help: "Report folders (each holding report.json), or folders whose subfolders are reports (e.g. 10,000 shard reports under one parent).")
        var reports: [String]

        @Option(help: "Folder for the merged report.json, report.html, report.txt and strips/.")
        var out: String

        /// The report folders: each argument, or its subfolders holding a report.json (sorted).
        static func expand(_ folders: [String]) -> [String] {
            let fm = FileManager.default
            return folders.flatMap { folder -> [String] in
                if fm.fileExists(atPath: (folder as NSString).appendingPathComponent("report.json")) { return [folder] }
                let children = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                    .map { (folder as NSString).appendingPathComponent($0) }
                    .filter { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent("report.json")) }
                return children.isEmpty ? [folder] : children
            }
        }

        func run() throws {
            let reports = Self.expand(self.reports)
            let loaded = try reports.map(ReportCommand.load)
            let command = "clearlane " + CommandLine.arguments.dropFirst().joined(separator: " ")
            let merged: ReplayReport
            do { merged = try ReplayReport.merged(loaded, command: command) } catch { throw CommandFailure("\(error)") }
            let staged: StagedOutput
            do {
                staged = try StagedOutput(target: out, flag: "--out", inputs: reports.map { ($0, "report") }, kind: "replay report") { folder in
                    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains("report.json")
                }
            } catch { throw CommandFailure("\(error)") }
            let table = merged.table()
            try staged.write { folder in
                let fm = FileManager.default
                let strips = (folder as NSString).appendingPathComponent("strips")
                for source in reports {
                    let from = (source as NSString).appendingPathComponent("strips")
                    for name in (try? fm.contentsOfDirectory(atPath: from)) ?? [] {
                        try fm.createDirectory(atPath: strips, withIntermediateDirectories: true)
                        let target = (strips as NSString).appendingPathComponent(name)
                        if !fm.fileExists(atPath: target) { try fm.copyItem(atPath: (from as NSString).appendingPathComponent(name), toPath: target) }
                    }
                }
                try merged.write(to: (folder as NSString).appendingPathComponent("report.json"))
                try merged.writeHTML(to: folder)
                try (table + "\n").write(toFile: (folder as NSString).appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
            }
            print(table)
            print("wrote \(out)/report.json, report.html, report.txt (\(merged.drives.count) drives from \(reports.count) reports)")
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compares one variant of two replay reports of the same drives (e.g. a candidate default against the shipped one).",
            discussion: """
                Matches drives by name and prints, per drive, the variant's official TuSimple \
                accuracy on exposure-affected frames in each report and the difference, then the \
                pooled difference with a 95 % interval from a paired bootstrap over the drives, \
                drives made from one footage (one filmed video, one rendered road) drawn together \
                (docs/design/metrics.md § Comparing variants). An interval that contains 0 means \
                the drives cannot tell the two apart. Drives in only one report are listed, not \
                compared.

                Example: clearlane report compare out/candidate evaluation/reports/dev
                """
        )

        @Argument(help: "The first report folder (a), holding report.json.")
        var a: String

        @Argument(help: "The second report folder (b), holding report.json.")
        var b: String

        @Option(help: "The variant compared (default: restored).")
        var variant = "restored"

        @Option(name: .customLong("variant-b"), help: "The second report's variant, when it differs (e.g. --variant restored --variant-b copy-last).")
        var variantB: String?

        func run() throws {
            let first = try ReportCommand.load(a), second = try ReportCommand.load(b)
            do {
                print(try ReportComparison(first, second, variant: variant, variantB: variantB).text(labelA: a, labelB: b))
            } catch {
                throw CommandFailure("\(a) against \(b): \(error)")
            }
        }
    }

    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes a report's report.html and report.txt again from its report.json (no replay).",
            discussion: """
                For a report written before a change to how reports are rendered (the answer box, \
                the palette, the tables): the figures and strips stay as they are; only the pages \
                are rewritten, each file replaced whole.

                Example: clearlane report render evaluation/reports/dev
                """
        )

        @Argument(help: "Report folders (each holding report.json).")
        var reports: [String]

        func run() throws {
            for folder in reports {
                let path = (folder as NSString).appendingPathComponent("report.json")
                let report: ReplayReport
                do { report = try ReplayReport.read(path) } catch {
                    throw CommandFailure("\(path): not a replay report (\(error))")
                }
                try report.writeHTML(to: folder)
                try (report.table() + "\n").write(toFile: (folder as NSString).appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
                print("rendered \(folder)/report.html and report.txt (\(report.drives.count) drives)")
            }
        }
    }
}
