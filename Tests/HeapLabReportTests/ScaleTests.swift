@testable import HeapLabReport
import XCTest

final class ScaleTests: XCTestCase {
    func testLinearScaleExtendsToNiceTicks() {
        let s = LinearScale(minimum: 0, maximum: 87.3)
        XCTAssertEqual(s.step, 20)
        XCTAssertEqual(s.ticks.map(\.value), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(s.fraction(of: 50), 0.5)
        let fractions = LinearScale(minimum: 0, maximum: 1, tickCount: 6, label: UnitFormat.percent)
        XCTAssertEqual(fractions.ticks.map(\.label), ["0%", "20%", "40%", "60%", "80%", "100%"])
        XCTAssertEqual(LinearScale(minimum: 0.1, maximum: 0.3).ticks.map(\.label), ["0.1", "0.15", "0.2", "0.25", "0.3"])
        let flat = LinearScale(minimum: 0, maximum: 0)
        XCTAssertGreaterThan(flat.upper, flat.lower)
    }

    func testNiceSteps() {
        XCTAssertEqual(LinearScale.niceStep(0.7), 1)
        XCTAssertEqual(LinearScale.niceStep(1.2), 2)
        XCTAssertEqual(LinearScale.niceStep(3), 5)
        XCTAssertEqual(LinearScale.niceStep(6), 10)
        XCTAssertEqual(LinearScale.niceStep(200), 200)
    }

    func testLogScaleCoversWholeDecades() {
        let s = LogScale(minimum: 1_500, maximum: 2_000_000, label: { UnitFormat.duration(nanoseconds: $0) })
        XCTAssertEqual(s.lowerExponent, 3)
        XCTAssertEqual(s.upperExponent, 7)
        XCTAssertEqual(s.ticks.map(\.label), ["1 µs", "10 µs", "100 µs", "1 ms", "10 ms"])
        XCTAssertEqual(s.fraction(of: 100_000), 0.5, accuracy: 1e-12)
        // A short range gets 2 and 5 ticks too; exact powers of ten stay on their decade.
        let short = LogScale(minimum: 1e6, maximum: 1e7)
        XCTAssertEqual(short.ticks.map(\.value), [1e6, 2e6, 5e6, 1e7])
        XCTAssertEqual(LogScale(minimum: 0.5, maximum: 300, tickFloor: 1).ticks.first?.value, 1)
    }

    func testNinesScaleSpacesNinesEvenly() {
        let s = NinesScale(nines: 3)
        XCTAssertEqual(s.position(ofPercentile: 0), 0)
        XCTAssertEqual(s.position(ofPercentile: 90), 1, accuracy: 1e-9)
        XCTAssertEqual(s.position(ofPercentile: 99), 2, accuracy: 1e-9)
        XCTAssertEqual(s.position(ofPercentile: 99.9), 3, accuracy: 1e-9)
        XCTAssertEqual(s.fraction(of: 100), 1)
        XCTAssertEqual(s.ticks.map(\.label), ["0%", "50%", "90%", "99%", "99.9%", "max"])
        XCTAssertEqual(NinesScale.nines(forSampleCount: 5), 1)
        XCTAssertEqual(NinesScale.nines(forSampleCount: 1_000), 3)
        XCTAssertEqual(NinesScale.nines(forSampleCount: 67_650), 4)
        XCTAssertEqual(NinesScale.nines(forSampleCount: 10_000_000_000), 6)
    }

    func testUnitFormats() {
        XCTAssertEqual(UnitFormat.duration(nanoseconds: 850), "850 ns")
        XCTAssertEqual(UnitFormat.duration(nanoseconds: 12_345), "12.3 µs")
        XCTAssertEqual(UnitFormat.duration(nanoseconds: 1_000_000), "1 ms")
        XCTAssertEqual(UnitFormat.duration(nanoseconds: 1_050_000_000), "1.05 s")
        XCTAssertEqual(UnitFormat.duration(nanoseconds: 125e9), "125 s")
        XCTAssertEqual(UnitFormat.bytes(512), "512 B")
        XCTAssertEqual(UnitFormat.bytes(48.26 * 1_048_576), "48.3 MiB")
        XCTAssertEqual(UnitFormat.bytes(24 * 1_073_741_824), "24 GiB")
        XCTAssertEqual(UnitFormat.percent(0.995), "99.5%")
        XCTAssertEqual(UnitFormat.significant(0.0123), "0.0123")
        XCTAssertEqual(svgNumber(12.0), "12")
        XCTAssertEqual(svgNumber(12.34), "12.3")
        XCTAssertEqual(svgNumber(-0.04), "0")
    }

    func testXMLEscaping() {
        XCTAssertEqual(xmlEscaped("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;")
        XCTAssertEqual(xmlEscaped("bell\u{7}"), "bell ")
    }
}
