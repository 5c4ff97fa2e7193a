import Drives
import Foundation

extension ReplayReport {
    private static func pct(_ v: Double?) -> String { v.map { String(format: "%5.1f%%", 100 * $0) } ?? "    –" }

    /// The report as the table `clearlane replay` prints: per drive and overall, per variant, on
    /// all labeled frames and on exposure-affected frames: official TuSimple accuracy / FP / FN
    /// (the headline), the ego-pair rate and the CULane F1.
    /// The lane metric a table shows (`clearlane replay --metric`); report.json always has both.
    public enum Metric: String, CaseIterable, Sendable {
        /// Official TuSimple accuracy / FP / FN, the ego-pair rate, and CULane F1 beside them.
        case tusimple
        /// CULane precision / recall / F1 (lanes 30 px wide at 1640 px, IoU ≥ 0.5).
        case culane
    }

    public func table(metric: Metric = .tusimple) -> String {
        var lines: [String] = []
        let header = metric == .tusimple
            ? "variant   |  frames  acc     FP     FN    ego    F1   | affected  acc     FP     FN    ego    F1   | det fps"
            : "variant   |  frames  prec   recall  F1   | affected  prec   recall  F1   | det fps"
        func cells(_ s: ScoreSummary) -> String {
            let t = s.tusimpleFrames > 0
            let values: [Double?] = metric == .tusimple
                ? [t ? s.accuracy : nil, t ? s.fpRate : nil, t ? s.fnRate : nil, s.egoPairRate, s.culaneF1]
                : [s.culanePrecision, s.culaneRecall, s.culaneF1]
            return values.map { Self.pct($0) }.joined(separator: " ")
        }
        func row(_ name: String, _ v: VariantReport) -> String {
            let a = v.all, e = v.exposureAffected
            let padded = name.padding(toLength: 9, withPad: " ", startingAt: 0)
            return String(format: "%@ | %6d %@ | %6d %@ | %7@",
                          padded as NSString, a.frames, cells(a) as NSString, e.frames, cells(e) as NSString,
                          (v.detectorFPS.map { String(format: "%.0f", $0) } ?? "–") as NSString)
        }
        func block(_ title: String, _ variants: [String: VariantReport]) {
            lines.append(title)
            lines.append(header)
            for name in self.variants where variants[name] != nil { lines.append(row(name, variants[name]!)) }
        }
        for d in drives {
            block(String(format: "%@ — %d frames %@ (%d labeled, %d exposure-affected, mean hole coverage %.1f%%), %.1f frames/s, processed at %@; holes: %@; camera: %@",
                         d.name, d.frames, d.nativeSize ?? "", d.labeledFrames, d.affectedFrames, 100 * d.meanHoleCoverage, d.replayFPS,
                         d.processingSize ?? "–", d.holeSource, d.camera),
                  d.variants)
            if let q = qualityLine(d.variants) { lines.append(q) }
            lines.append("")
        }
        if presets.count > 1 && presets.count < drives.count {
            for (name, v) in presets.sorted(by: { $0.key < $1.key }) {
                block("preset \(name)", v)
                lines.append("")
            }
        }
        block("overall (\(drives.count) drive\(drives.count == 1 ? "" : "s"))", overall)
        if let q = qualityLine(overall) { lines.append(q) }
        if let r = restorationLine(overall) { lines.append(r) }
        lines += diagnosisLines(overall)
        for note in notes { lines.append("note: \(note)") }
        if let missing = missingBlock() { lines.append(missing) }
        let summary = ReportSummary(self)
        if !summary.lines.isEmpty {
            lines.append("")
            lines += summary.lines.map { "answer: " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Who filled the holes, per restoring variant (frames without holes left out).
    private func restorationLine(_ variants: [String: VariantReport]) -> String? {
        let parts = self.variants.compactMap { name -> String? in
            guard let counts = variants[name]?.restorations?.filter({ $0.key != "not_needed" }), !counts.isEmpty else { return nil }
            return name + ": " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        return parts.isEmpty ? nil : "frames with holes by outcome: " + parts.joined(separator: "; ")
    }

    /// Where restoring variants lose lanes on affected frames (RestorationDiagnosis), one line each.
    private func diagnosisLines(_ variants: [String: VariantReport]) -> [String] {
        self.variants.compactMap { name -> String? in
            guard let d = variants[name]?.diagnosis, d.frames > 0 else { return nil }
            func counts(_ c: [String: Int]) -> String {
                let parts = RestorationDiagnosis.Cause.allCases.compactMap { cause in c[cause.rawValue].map { "\(cause.rawValue) \($0)" } }
                return parts.isEmpty ? "none" : parts.joined(separator: ", ")
            }
            var line = "diagnosis \(name) (\(d.frames) affected frames): behind clean: \(counts(d.behindClean))"
            if let b = d.behindBaseline { line += "; behind the better baseline: \(counts(b))" }
            let p = Double(max(d.paintPixels, 1))
            line += String(format: "; paint missed %.1f %%, unseen %.1f %%, filled %.1f %% (error %@), over-detected %.1f %%",
                           100 * Double(d.missed) / p, 100 * Double(d.unseen) / p, 100 * Double(d.filled) / p,
                           d.meanFilledError.map { String(format: "%.1f", $0) } ?? "–", 100 * Double(d.overDetected) / p)
            return line
        }
    }

    private func qualityLine(_ variants: [String: VariantReport]) -> String? {
        let parts = self.variants.compactMap { name -> String? in
            guard let q = variants[name]?.quality, q.frames > 0 else { return nil }
            var text = String(format: "%@ %.2f dB / %.3f", name, q.psnr, q.ssim)
            if let p = q.psnrHoles, let s = q.ssimHoles { text += String(format: " (holes %.2f dB / %.3f", p, s) + (q.psnrShownHoles.map { String(format: ", holes clean shows %.2f dB)", $0) } ?? ")") }
            return text
        }
        return parts.isEmpty ? nil : "PSNR/SSIM vs clean: " + parts.joined(separator: "; ")
    }

    // MARK: - HTML

    /// The diagnosis table: per restoring variant, frames behind clean / the better baseline by
    /// cause, and what happened to the paint pixels of the affected frames.
    private func diagnosisHTML(_ v: [String: VariantReport]) -> String {
        let rows = variants.compactMap { name in v[name]?.diagnosis.map { (name, $0) } }.filter { $0.1.frames > 0 }
        guard !rows.isEmpty else { return "" }
        let causes = RestorationDiagnosis.Cause.allCases
        var t = "<h3>Where restoration loses lanes (exposure-affected frames)</h3>\n<p class=\"muted\">A frame behind clean (or, for restored, "
        t += "behind the better of copy-last and median) by more than 2 points is attributed to the first cause that holds on the true lane paint: "
        t += "hole detection missed it (≥ 25 % of the paint in truth holes), no reference showed it (≥ 25 % of the paint in live holes left as filmed), "
        t += "the paste is wrong (mean error ≥ 30 levels against clean: alignment, or a reference too old or itself restored), holes over-detected "
        t += "(≥ 50 %), else the detector (the paint came back, the lane did not: seams or the detector).</p>\n<table><tr><th>variant</th><th>frames</th><th>compared with</th>"
        for c in causes { t += "<th>\(c.rawValue.replacingOccurrences(of: "_", with: " "))</th>" }
        t += "<th>paint missed</th><th>unseen</th><th>filled (error)</th><th>over-detected</th></tr>\n"
        for (name, d) in rows {
            let p = Double(max(d.paintPixels, 1))
            let paint = String(format: "<td>%.1f %%</td><td>%.1f %%</td><td>%.1f %% (%@)</td><td>%.1f %%</td>",
                               100 * Double(d.missed) / p, 100 * Double(d.unseen) / p, 100 * Double(d.filled) / p,
                               d.meanFilledError.map { String(format: "%.1f", $0) } ?? "–", 100 * Double(d.overDetected) / p)
            for (label, counts) in [("clean", d.behindClean)] + (d.behindBaseline.map { [("better baseline", $0)] } ?? []) {
                t += "<tr><td>\(name)</td><td>\(d.frames)</td><td>\(label)</td>"
                for c in causes { t += "<td>\(counts[c.rawValue] ?? 0)</td>" }
                t += paint + "</tr>\n"
            }
        }
        return t + "</table>\n"
    }

    /// Okabe–Ito colours: told apart with every common colour-vision deficiency.
    static let colors = ["raw": "#D55E00", "clahe": "#E69F00", "gamma": "#CC79A7", "restored": "#009E73", "clean": "#0072B2",
                         "copy-last": "#56B4E9", "median": "#000000"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Drives beyond which report.html summarizes and links one page per drive (drives/).
    public static let inlineDriveLimit = 40

    /// The report's pages, by path relative to the report folder: report.html and, for sets of
    /// more than `inlineDriveLimit` drives, drives/index.html and one drives/NNNNN-NAME.html per
    /// drive (report.html then summarizes per preset, camera and event, and lists the worst drives).
    public func htmlPages(inlineDriveLimit limit: Int = ReplayReport.inlineDriveLimit) -> [String: String] {
        guard drives.count > limit else { return ["report.html": html(inlineDriveLimit: limit)] }
        var pages = ["report.html": html(inlineDriveLimit: limit)]
        var index = head(title: "ClearLane replay report: all drives", up: "../report.html")
        index += "<h1>All \(drives.count) drives</h1>\n" + driveList(drives, linkPrefix: "")
        pages["drives/index.html"] = index + "</body></html>\n"
        for (k, d) in drives.enumerated() {
            pages["drives/" + drivePage(d, position: k)] = head(title: "ClearLane replay: \(d.name)", up: "../report.html")
                + driveSection(d, stripPrefix: "../") + "</body></html>\n"
        }
        return pages
    }

    /// Writes `htmlPages()` into `folder`.
    public func writeHTML(to folder: String) throws {
        for (path, page) in htmlPages() {
            let file = (folder as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try page.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    /// report.html: one self-contained page (inline CSS and SVG; strips are PNGs beside it) with
    /// every drive, or, beyond `limit` drives, the summary with links to the drive pages.
    public func html(inlineDriveLimit limit: Int = ReplayReport.inlineDriveLimit) -> String {
        var h = head(title: "ClearLane replay report", up: nil)
        h += """
        <h1>ClearLane replay report</h1>
        <p class="muted">\(Self.escape(created)) · <code>\(Self.escape(command))</code> · processing \(processingSize) ·
        a frame is <em>exposure-affected</em> when its hole mask covers ≥ \(String(format: "%.1f", 100 * affectedCoverage)) % of the lane ROI.
        Accuracy, FP and FN are the official TuSimple metric (the headline; frames whose truth has no lane are left out of it),
        F1 the CULane F1 (docs/design/metrics.md).</p>

        """
        h += summaryHTML()
        for note in notes { h += "<p class=\"note\">Note: \(Self.escape(note))</p>\n" }
        h += missingHTML()
        h += "<h2>Overall (\(drives.count) drive\(drives.count == 1 ? "" : "s"))</h2>\n"
        // Without any labels an accuracy table would be all dashes: steadiness and outcomes instead.
        h += drives.contains { $0.labeledFrames > 0 } ? tableHTML(overall) + diagnosisHTML(overall) : stabilityHTML(overall)
        if presets.count > 1 && presets.count < drives.count {
            for (name, v) in presets.sorted(by: { $0.key < $1.key }) { h += "<h3>Preset \(Self.escape(name))</h3>\n" + tableHTML(v) }
        }
        guard drives.count > limit else {
            for d in drives { h += driveSection(d, stripPrefix: "") }
            return h + "</body></html>\n"
        }
        // A large set: groups and the worst drives here, every drive on its own page.
        for (title, key) in [("camera", { (d: DriveReport) in [d.camera] }),
                             ("exposure event", { (d: DriveReport) in Array(Set((d.events ?? []).map(\.kind))).sorted() })] as [(String, (DriveReport) -> [String])] {
            var groups: [String: [DriveReport]] = [:]
            for d in drives { for k in key(d) { groups[k, default: []].append(d) } }
            guard groups.count > 1 else { continue }
            for (name, members) in groups.sorted(by: { $0.key < $1.key }) {
                h += "<h3>By \(title): \(Self.escape(name)) (\(members.count) drives)</h3>\n" + tableHTML(Self.pool(members))
            }
        }
        let worst = worstDrives(20)
        h += "<h2>The \(worst.count) worst drives</h2>\n<p class=\"muted\">By \(Self.escape(rankingVariant)) accuracy on exposure-affected frames "
        h += "(all labeled frames where a drive has no affected ones). <a href=\"drives/index.html\">All \(drives.count) drives</a>.</p>\n"
        h += driveList(worst, linkPrefix: "drives/")
        return h + "</body></html>\n"
    }

    private func head(title: String, up: String?) -> String {
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
        table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td{white-space:nowrap}
        th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
        .note{color:#8a4b00}.muted{color:#777}svg{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
        img{max-width:100%;border:1px solid #ddd}
        .answer{background:#f2f8f5;border-left:4px solid #009E73;padding:4px 16px;margin:12px 0}
        .legend{margin:2px 0 14px;display:flex;flex-wrap:wrap;gap:4px 16px}.legend span{white-space:nowrap}
        .swatch{display:inline-block;width:18px;height:4px;vertical-align:middle;margin-right:5px}
        figure{margin:8px 0 16px;display:inline-block;max-width:100%}.tiles{display:grid;font-size:12px;text-align:center;font-weight:600}
        </style></head><body>

        """
        if let up { h += "<p><a href=\"\(up)\">← the report</a></p>\n" }
        return h
    }

    /// The variant drives are ranked by: restored when replayed, else the first one.
    private var rankingVariant: String { variants.contains("restored") ? "restored" : variants.first ?? "raw" }

    private func rankingAccuracy(_ d: DriveReport) -> Double? {
        guard let v = d.variants[rankingVariant] else { return nil }
        let s = v.exposureAffected.tusimpleFrames > 0 ? v.exposureAffected : v.all
        return s.tusimpleFrames > 0 ? s.accuracy : nil
    }

    /// The `count` drives with the lowest ranking accuracy (drives without one last).
    public func worstDrives(_ count: Int) -> [DriveReport] {
        Array(drives.sorted { (rankingAccuracy($0) ?? 2) < (rankingAccuracy($1) ?? 2) }.prefix(count))
    }

    private func drivePage(_ d: DriveReport, position: Int) -> String {
        let safe = d.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return String(format: "%05d-", d.index ?? position) + String(safe) + ".html"
    }

    /// One row per drive: its affected/all accuracy per variant, linked to its page.
    private func driveList(_ list: [DriveReport], linkPrefix: String) -> String {
        var t = "<table><tr><th>drive</th><th>frames</th><th>affected</th>"
        for v in variants { t += "<th>\(Self.escape(v)) affected / all</th>" }
        t += "</tr>\n"
        for d in list {
            let position = drives.firstIndex { $0.index == d.index && $0.name == d.name } ?? 0
            t += "<tr><td><a href=\"\(linkPrefix)\(Self.escape(drivePage(d, position: position)))\">\(Self.escape(d.name))</a></td>"
            t += "<td>\(d.frames)</td><td>\(d.affectedFrames)</td>"
            for v in variants {
                let r = d.variants[v]
                func p(_ s: ScoreSummary?) -> String { s.flatMap { $0.tusimpleFrames > 0 ? String(format: "%.1f", 100 * $0.accuracy) : nil } ?? "–" }
                t += "<td>\(p(r?.exposureAffected)) / \(p(r?.all))</td>"
            }
            t += "</tr>\n"
        }
        return t + "</table>\n"
    }

    /// One drive: its facts, tables, plots and strips (`stripPrefix` leads from the page to the report folder).
    /// An unlabeled drive shows what needs no labels: hole coverage, restoration outcomes, lane steadiness.
    private func driveSection(_ d: DriveReport, stripPrefix: String) -> String {
        var h = "<h2>\(Self.escape(d.name))</h2>\n<p class=\"muted\">\(d.frames) frames, \(d.labeledFrames) labeled"
        h += " (\(Self.escape(d.labels ?? "label origin not stated"))), \(d.affectedFrames) exposure-affected;"
        h += String(format: " mean hole coverage %.1f %%; %.1f frames/s replay.", 100 * d.meanHoleCoverage, d.replayFPS)
        h += "<br>Holes: \(Self.escape(d.holeSource)). Camera: \(Self.escape(d.camera)).</p>\n"
        let labeled = d.labeledFrames > 0
        if labeled {
            h += tableHTML(d.variants)
            h += diagnosisHTML(d.variants)
        } else {
            h += "<p>No labels for this drive, so no accuracy: below, what holds without them.</p>\n"
        }
        h += stabilityHTML(d.variants)
        if labeled { h += accuracyPlot(d) + legendHTML(d.variants) }
        h += coveragePlot(d) + "<br>\n"
        for s in d.strips {
            let count = max(s.variants.count, 1)
            h += "<figure><div class=\"tiles\" style=\"grid-template-columns:repeat(\(count),1fr)\">"
            for (k, v) in s.variants.enumerated() {
                let score = k < s.accuracy.count ? String(format: " %.0f %%", 100 * s.accuracy[k]) : ""
                h += "<span style=\"color:\(Self.colors[v] ?? "#000")\">\(Self.escape(v))\(score)</span>"
            }
            h += "</div><img src=\"\(Self.escape(stripPrefix + s.file))\" alt=\"frame \(s.frame): \(Self.escape(s.variants.joined(separator: ", ")))\">"
            let why = s.accuracy.isEmpty
                ? (s.holeCoverage.map { String(format: "one of the frames with the most holes (%.0f %% of the lane ROI)", 100 * $0) } ?? "")
                : "a frame where the variants' accuracies differ most"
            h += "<figcaption>frame \(s.frame): \(why). "
            if !s.accuracy.isEmpty { h += "<span class=\"swatch\" style=\"background:#E69F00\"></span>true lanes " }
            h += "<span class=\"swatch\" style=\"background:#56B4E9\"></span>detected lanes</figcaption></figure><br>\n"
        }
        return h
    }

    /// The answer box at the top of report.html (`ReportSummary`).
    private func summaryHTML() -> String {
        let summary = ReportSummary(self)
        guard !summary.lines.isEmpty else { return "" }
        var h = "<div class=\"answer\"><h2>The answer</h2>\n"
        for line in summary.lines { h += "<p>\(Self.escape(line))</p>\n" }
        func list(_ title: String, _ changes: [ReportSummary.Change]) {
            guard !changes.isEmpty else { return }
            h += "<p>\(title): " + changes.map { String(format: "%@ (%+.1f)", Self.escape($0.drive), $0.points) }.joined(separator: ", ") + "</p>\n"
        }
        list("Helped most (points over raw)", summary.helped)
        list("Hurt (points below raw)", summary.hurt)
        list("Behind the better copy baseline (points)", Array(summary.behindBaseline.prefix(8)))
        return h + "</div>\n"
    }

    /// Which colour is which variant (under the plots; wraps instead of running out of the figure).
    private func legendHTML(_ v: [String: VariantReport]) -> String {
        var h = "<div class=\"legend\">"
        for name in variants where v[name] != nil {
            h += "<span><span class=\"swatch\" style=\"background:\(Self.colors[name] ?? "#000")\"></span>\(Self.escape(name))</span>"
        }
        return h + "</div>\n"
    }

    /// Per variant: both ego lines found, their frame-to-frame move, and who filled the holes.
    private func stabilityHTML(_ v: [String: VariantReport]) -> String {
        let rows = variants.compactMap { name in v[name].map { (name, $0) } }.filter { $0.1.laneStability != nil || $0.1.restorations != nil }
        guard !rows.isEmpty else { return "" }
        var t = "<table><tr><th>variant</th><th>both ego lines found</th><th>ego line move per frame (lane widths)</th><th>frames with holes by outcome</th></tr>\n"
        for (name, r) in rows {
            let s = r.laneStability
            let outcomes = (r.restorations ?? [:]).filter { $0.key != "not_needed" }.sorted { $0.value > $1.value }
                .map { "\($0.value) \(Self.escape($0.key.replacingOccurrences(of: "_", with: " ")))" }.joined(separator: ", ")
            t += "<tr><td style=\"color:\(Self.colors[name] ?? "#000")\">\(Self.escape(name))</td>"
            t += "<td>\(s?.egoPairRate.map { String(format: "%.1f %%", 100 * $0) } ?? "–")</td>"
            t += "<td>\(s?.meanJitter.map { String(format: "%.1f %%", 100 * $0) } ?? "–")</td><td>\(outcomes.isEmpty ? "–" : outcomes)</td></tr>\n"
        }
        return t + "</table>\n"
    }

    private func tableHTML(_ v: [String: VariantReport]) -> String {
        func p(_ x: Double?) -> String { x.map { String(format: "%.1f %%", 100 * $0) } ?? "–" }
        var t = "<table><tr><th>variant</th><th>frames</th><th>accuracy</th><th>FP</th><th>FN</th><th>ego pair</th><th>CULane F1</th>"
        t += "<th>affected frames</th><th>accuracy</th><th>FP</th><th>FN</th><th>ego pair</th><th>CULane F1</th>"
        t += "<th>PSNR / SSIM</th><th>holes PSNR / SSIM</th><th title=\"hole pixels where the clean frame is neither near black nor near white\">holes clean shows, PSNR</th><th>detector fps</th></tr>\n"
        for name in variants {
            guard let r = v[name] else { continue }
            let a = r.all, e = r.exposureAffected
            func cells(_ s: ScoreSummary) -> String {
                let v = s.tusimpleFrames > 0
                return "<td>\(v ? p(s.accuracy) : "–")</td><td>\(v ? p(s.fpRate) : "–")</td><td>\(v ? p(s.fnRate) : "–")</td>"
                    + "<td>\(p(s.egoPairRate))</td><td>\(p(s.culaneF1))</td>"
            }
            t += "<tr><td style=\"color:\(Self.colors[name] ?? "#000")\">\(name)</td><td>\(a.frames)</td>" + cells(a)
            t += "<td>\(e.frames)</td>" + cells(e)
            if let q = r.quality, q.frames > 0 {
                t += String(format: "<td>%.2f dB / %.3f</td>", q.psnr, q.ssim)
                t += q.psnrHoles.map { String(format: "<td>%.2f dB / %.3f</td>", $0, q.ssimHoles ?? 0) } ?? "<td>–</td>"
                t += q.psnrShownHoles.map { String(format: "<td>%.2f dB</td>", $0) } ?? "<td>–</td>"
            } else {
                t += "<td>–</td><td>–</td><td>–</td>"
            }
            t += "<td>\(r.detectorFPS.map { String(format: "%.0f", $0) } ?? "–")</td></tr>\n"
        }
        return t + "</table>\n"
    }

    private static let plotWidth = 1000.0, plotHeight = 180.0, margin = 36.0

    private func shading(_ d: DriveReport, frames: Double) -> String {
        var s = ""
        func x(_ f: Double) -> Double { Self.margin + f / max(frames, 1) * (Self.plotWidth - Self.margin - 8) }
        // Exposure-affected runs (from the hole masks), and exposure.json events outlined.
        var start: Int?
        for p in d.timeline + [TimelinePoint(frame: d.frames, holeCoverage: 0, affected: false, accuracy: nil)] {
            if p.affected, start == nil { start = p.frame }
            if !p.affected, let s0 = start {
                s += String(format: "<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffd8a8\" opacity=\"0.6\"/>", x(Double(s0)), max(1, x(Double(p.frame)) - x(Double(s0))), Self.plotHeight - 28)
                start = nil
            }
        }
        for e in d.events ?? [] {
            s += String(format: "<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#b35900\" stroke-dasharray=\"3,2\"/>", x(Double(e.startFrame)), max(1, x(Double(e.endFrame + 1)) - x(Double(e.startFrame))), Self.plotHeight - 28)
            s += String(format: "<text x=\"%.1f\" y=\"14\" font-size=\"10\" fill=\"#b35900\">%@</text>", x(Double(e.startFrame)) + 2, Self.escape(e.kind))
        }
        return s
    }

    private func axes(_ title: String, frames: Double, yLabels: [(Double, String)]) -> String {
        var s = String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>", Self.margin, Self.plotHeight - 24, Self.plotWidth - 8, Self.plotHeight - 24)
        for (v, label) in yLabels {
            let y = 4 + (1 - v) * (Self.plotHeight - 28)
            s += String(format: "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"2\" y=\"%.1f\" font-size=\"10\">%@</text>", Self.margin, y, Self.plotWidth - 8, y, y + 3, label)
        }
        s += String(format: "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%@ (frame 0 … %.0f)</text>", Self.margin, Self.plotHeight - 6, Self.escape(title), frames)
        return s
    }

    private func accuracyPlot(_ d: DriveReport) -> String {
        let frames = Double(max(d.frames, 1))
        func x(_ f: Int) -> Double { Self.margin + Double(f) / frames * (Self.plotWidth - Self.margin - 8) }
        func y(_ v: Double) -> Double { 4 + (1 - v) * (Self.plotHeight - 28) }
        var s = String(format: "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">", Self.plotWidth, Self.plotHeight, Self.plotWidth, Self.plotHeight)
        s += shading(d, frames: frames)
        s += axes("lane accuracy per labeled frame; shaded: exposure-affected", frames: frames, yLabels: [(0, "0"), (0.5, "50%"), (1, "100%")])
        for name in variants {
            let points = d.timeline.compactMap { p in p.accuracy?[name].map { String(format: "%.1f,%.1f", x(p.frame), y($0)) } }
            guard !points.isEmpty else { continue }
            s += "<polyline fill=\"none\" stroke=\"\(Self.colors[name] ?? "#000")\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>"
        }
        return s + "</svg>\n"
    }

    private func coveragePlot(_ d: DriveReport) -> String {
        let frames = Double(max(d.frames, 1))
        let top = min(1, max(0.05, (d.timeline.map(\.holeCoverage).max() ?? 0) * 1.1))
        func x(_ f: Int) -> Double { Self.margin + Double(f) / frames * (Self.plotWidth - Self.margin - 8) }
        func y(_ v: Double) -> Double { 4 + (1 - v / top) * (Self.plotHeight - 28) }
        var s = String(format: "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">", Self.plotWidth, Self.plotHeight, Self.plotWidth, Self.plotHeight)
        s += shading(d, frames: frames)
        s += axes("hole-mask coverage of the lane ROI", frames: frames,
                  yLabels: [(0, "0"), (0.5, String(format: "%.0f%%", 50 * top)), (1, String(format: "%.0f%%", 100 * top))])
        let points = d.timeline.map { String(format: "%.1f,%.1f", x($0.frame), y($0.holeCoverage)) }
        s += "<polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1.2\" points=\"\(points.joined(separator: " "))\"/>"
        return s + "</svg>\n"
    }
}
