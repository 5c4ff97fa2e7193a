import Evaluation
import Foundation
import Testing

/// Issue 17 item 4: a report of many drives summarizes and links one page per drive instead of
/// putting every drive on one page.
@Suite("Large reports")
struct LargeReportTests {
    /// The committed dev report's 25 drives, twice over (50 drives, indices 0–49).
    static func fiftyDrives() throws -> ReplayReport {
        let dev = try ReplayReport.read(ReplayTests.repo + "/evaluation/reports/dev/report.json")
        var drives = dev.drives + dev.drives
        for k in drives.indices { drives[k].index = k }
        return ReplayReport(command: "test", processingSize: dev.processingSize, affectedCoverage: dev.affectedCoverage,
                            variants: dev.variants, notes: [], drives: drives)
    }

    @Test func manyDrivesGetASummaryAndOnePageEach() throws {
        let report = try Self.fiftyDrives()
        let pages = report.htmlPages()
        #expect(pages.count == 1 + 1 + 50, "report.html, drives/index.html and one page per drive")
        let index = try #require(pages["report.html"])
        #expect(index.contains("The 20 worst drives") && index.contains("By exposure event: tunnel-exit"))
        #expect(!index.contains("<svg"), "no per-drive plots on the summary page")
        // Every link on the summary and the drive list leads to a page that exists.
        for (page, prefix) in [("report.html", ""), ("drives/index.html", "drives/")] {
            let html = try #require(pages[page])
            let links = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
                .filter { $0.hasSuffix(".html") && !$0.hasPrefix("..") && $0 != "drives/index.html" }
            #expect(!links.isEmpty)
            for link in links { #expect(pages[page == "report.html" ? link : prefix + link] != nil, "\(page) links \(link)") }
        }
        // The worst drives come first, by restored accuracy on affected frames.
        let worst = report.worstDrives(20)
        let accuracies = worst.compactMap { $0.variants["restored"].map { $0.exposureAffected.tusimpleFrames > 0 ? $0.exposureAffected.accuracy : $0.all.accuracy } }
        #expect(accuracies == accuracies.sorted())
        // A drive page points its strips back to the report's strips folder.
        let page = try #require(pages.first { $0.key.hasPrefix("drives/00000-") }?.value)
        #expect(page.contains("src=\"../strips/"))
    }

    @Test func fewDrivesStayOnOnePage() throws {
        let dev = try ReplayReport.read(ReplayTests.repo + "/evaluation/reports/dev/report.json")
        let pages = dev.htmlPages()
        #expect(Array(pages.keys) == ["report.html"])
        #expect(pages["report.html"]!.contains("src=\"strips/"))
    }
}
