import Foundation
import HeapLabCore
import HeapLabReport
import XCTest

/// Docs/Reports.md documents the JSON schema and the CSV columns; these tests keep it complete as fields and
/// columns are added.
final class DocumentationTests: XCTestCase {
    func reportsDocument() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/Reports.md")
        return try String(contentsOf: url, encoding: .utf8)
    }

    func testEveryCSVColumnIsDocumented() throws {
        let doc = try reportsDocument()
        for name in CSVExport.header {
            XCTAssertTrue(doc.contains("| `\(name)` |"), "Docs/Reports.md lacks the CSV column \(name)")
        }
    }

    func testEveryJSONFieldIsDocumented() throws {
        // Every key that appears anywhere in an encoded report, optional fields included.
        var report = Fixtures.matrix()[0]
        report.memorySamples[0].liveBytes = 1
        report.memorySamples[0].heapBytes = 1
        let json = try JSONSerialization.jsonObject(with: RunReport.encode([report]))
        var keys = Set<String>()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    // Free-form maps: their keys are data, not schema.
                    keys.insert(key)
                    if ["parameters", "managerConfiguration", "extra", "metrics"].contains(key) { continue }
                    collect(inner)
                }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(json)
        let doc = try reportsDocument()
        XCTAssertGreaterThan(keys.count, 40)
        for key in keys.sorted() {
            XCTAssertTrue(doc.contains("`\(key)`"), "Docs/Reports.md lacks the JSON field \(key)")
        }
    }
}
