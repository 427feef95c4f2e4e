import Foundation
import QCTWorkflows

/// A simulated history for `qct serve --demo`: three scanners (the QCT1–QCT3 profiles) scanning
/// the calibration pad every morning for `days` days, each scan simulated and analysed by the
/// same workflow as a real one (`QCRecorder`), with the profile's day-to-day variation. QCT2 has
/// its X-ray tube replaced half-way (a service event: a new baseline, and its CT numbers shift by
/// 3 HU after it); QCT3 drifts in its last 12 days (CT-number gain +0.4 % a day), so the
/// dashboard shows a scanner going out of control. QCT1's scan 20 days ago was set up wrong (its
/// CT numbers 8 HU high) and is rejected, as a physicist would, so it shows under rejected results.
public struct DemoHistory: Sendable {
    public var days = 60
    public var scanners = ["QCT1", "QCT2", "QCT3"]

    public init() {}

    /// Fills `recorder.store`; `progress` sees (done, total) after each scan.
    public func fill(recorder: QCRecorder, catalog: PhantomCatalog, scratch: String, today: Date = Date(),
                     progress: (Int, Int) -> Void) throws {
        let calendar = Calendar(identifier: .gregorian)
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.dateFormat = "yyyyMMdd"
        let total = days * scanners.count
        var done = 0
        let serviceDay = days / 2, driftFrom = days - 12, badDay = days - 20
        for d in 0..<days {
            guard let date = calendar.date(byAdding: .day, value: d - days + 1, to: today) else { continue }
            let yyyymmdd = day.string(from: date)
            for (k, scanner) in scanners.enumerated() {
                if scanner == "QCT2", d == serviceDay {
                    let at = "\(yyyymmdd.prefix(4))-\(yyyymmdd.dropFirst(4).prefix(2))-\(yyyymmdd.suffix(2))T06:00:00"
                    _ = try recorder.store.addEvent(scanner: scanner, at: at, description: "X-ray tube replaced (simulated)",
                                                        baselineSize: recorder.baselineSize)
                }
                var changes = ProfileOverrides()
                let base = try SimulationBatch.profile(scanner, in: catalog)
                if scanner == "QCT2", d >= serviceDay { changes.offset = base.huOffset + 3 }
                if scanner == "QCT3", d >= driftFrom { changes.gain = base.huGain * (1 + 0.004 * Double(d - driftFrom + 1)) }
                let rejected = scanner == "QCT1" && d == badDay
                if rejected { changes.offset = base.huOffset + 8 }
                var request = SimulationRequest(scene: "pad", profile: changes.apply(to: base).0)
                (request.matrix, request.pixelSpacingMM, request.slices) = (256, 1.6, 4)
                (request.sliceThicknessMM, request.sliceSpacingMM) = (3, 3)
                request.acquisitionDate = yyyymmdd
                var batch = SimulationBatch(request: request, seed: UInt64(1000 * k + d + 1))
                batch.dayVariation = base.repeatVariation != nil
                batch.firstTime = String(format: "07%02d00", 10 * k)
                let folder = (scratch as NSString).appendingPathComponent("\(scanner)-\(yyyymmdd)")
                try batch.run(catalog: catalog, out: folder) { _, _ in }
                let recorded = try recorder.record([folder], report: { _ in })
                if rejected, case .stored(let r)? = recorded.outcomes.first {
                    let why = "phantom set up wrong (simulated: CT numbers 8 HU high)"
                    _ = try recorder.store.reject(resultID: r.id, by: "demo", reason: why,
                                                  audit: QCAuditEntry(at: QCClock.system.iso(), user: "demo", action: "reject result",
                                                                      detail: "result \(r.id): \(why)"))
                }
                try? FileManager.default.removeItem(atPath: folder)
                done += 1
                progress(done, total)
            }
        }
    }
}
