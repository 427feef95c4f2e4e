import Foundation
import QCTCore
import QCTPhantoms
import QCTStatistics

/// Manual ROIs (`--rois FILE.json`): rod centres and a radius, replacing detection.
public struct ManualROIs: Codable, Sendable {
    public struct ROI: Codable, Sendable {
        public var name: String
        /// [x, y] patient mm (the rod centre, assumed parallel to z).
        public var centerMM: [Double]
        public var radiusMM: Double
    }
    public var rods: [ROI]
}

/// Finds, measures and fits a phantom's rods, and judges the fit.
public enum Calibrator {
    public static func calibrate(_ v: Volume, phantom: PhantomDefinition, certificate: Certificate?,
                                 settings: RodSearchSettings = RodSearchSettings(),
                                 manual: ManualROIs? = nil, manualSource: String? = nil) throws -> CalibrationResult {
        if phantom.calibration != .none, certificate == nil {
            throw CalibrationError("phantom \(phantom.id) needs a certificate (--serial or --certificate)")
        }
        let inserts = phantom.calibrationInserts
        var measured: [CalibratedRod] = []
        var identity = "manual names"
        var slicesUsed: ClosedRange<Int>?
        if let manual {
            for roi in manual.rods {
                guard roi.centerMM.count == 2, roi.radiusMM > 0, roi.centerMM.allSatisfy(\.isFinite), roi.radiusMM.isFinite else {
                    throw CalibrationError("\(manualSource ?? "ROI file"): rod \(roi.name) needs centerMM [x, y] and a positive radiusMM")
                }
                let rod = LocatedRod(templateName: roi.name, radiusMM: roi.radiusMM, x0: roi.centerMM[0], y0: roi.centerMM[1],
                                     bx: 0, by: 0, zRef: 0, slices: 0...(v.geometry.slices - 1), detected: true)
                measured.append(CalibratedRod.measure(v, rod: rod, roiRadius: roi.radiusMM, located: .manual))
            }
            // Manual ROIs name their rods, in the phantom's order.
            let order = inserts.map { i in measured.firstIndex { $0.name == i.name } ?? -1 }
            guard !order.contains(-1) else {
                throw CalibrationError("\(manualSource ?? "ROI file") must name every rod: \(inserts.map(\.name).joined(separator: ", "))")
            }
            measured = order.map { measured[$0] }
            for i in measured.indices { measured[i].identifiedBy = "named in \(manualSource ?? "the ROI file")" }
        } else {
            let search = RodLocator.locate(v, phantom: phantom, certificate: certificate, settings: settings)
            if let reason = search.notFound {
                return CalibrationResult(phantom: phantom.id, certificate: certificate.map { "\($0.serial) (\($0.source))" },
                                         method: phantom.calibration, rois: "detected", identity: "none",
                                         rods: [], fit: nil, alongZ: nil, slices: nil, notFound: reason,
                                         checks: [CalibrationCheck(name: "phantom found", status: .fail, detail: reason)], status: .fail)
            }
            // Each rod read in parallel.
            var reads = [CalibratedRod?](repeating: nil, count: search.rods.count)
            reads.withUnsafeMutableBufferPointer { buffer in
                let out = SharedBuffer(buffer)
                DispatchQueue.concurrentPerform(iterations: search.rods.count) { n in
                    let rod = search.rods[n]
                    // The rod's radius as found (the strong rods' edge; RodLocator.roiBasis), not the model's.
                    let r = max(rod.radiusMM - settings.roiInsetMM, 0.5 * rod.radiusMM)
                    var m = CalibratedRod.measure(v, rod: rod, roiRadius: r, located: rod.detected ? .detected : .template)
                    m.identifiedBy = search.identifiedBy[rod.templateName]
                    out.buffer[n] = m
                }
            }
            measured = reads.map { $0! }
            slicesUsed = search.slices
            identity = "by HU order against the certificate, accepted only where the fit gates pass (per rod: identifiedBy)"
        }
        let identifier = RodIdentifier(phantom: phantom, certificate: certificate)
        var rods: [CalibratedRod] = []
        for (ci, m) in measured.enumerated() {
            var rod = m
            rod.name = inserts[ci].name
            rod.nominal = identifier.nominal[ci]
            rods.append(rod)
        }
        let judgement = FitJudgement.judge(rods.map { FitPoint(name: $0.name, nominal: $0.nominal, hu: $0.meanHU, medianHU: $0.medianHU) },
                                           phantom: phantom)
        for i in rods.indices { rods[i].residualHU = judgement.residuals[i].flatMap { $0.isFinite ? $0 : nil } }
        let fit = judgement.fit
        var checks = judgement.checks
        // A rod certified at 0 mg/cm³ in a matrix phantom is the body's own
        // material: no image can show it, so placing it is expected. Any
        // other rod that was not seen fails the check, by name.
        let missing = rods.filter { $0.located == .template }
        let invisible = missing.filter { r in !identifier.visible.contains { inserts[$0].name == r.name } }
        let lost = missing.filter { r in !invisible.contains { $0.name == r.name } }
        func place(_ list: [CalibratedRod]) -> String {
            list.map { String(format: "%@ at x %.1f, y %.1f mm", $0.name, $0.centerMM[0], $0.centerMM[1]) }.joined(separator: ", ")
        }
        if missing.isEmpty {
            checks.insert(CalibrationCheck(name: "rods found", status: .pass, detail: "\(rods.count) of \(rods.count) rods located"), at: 0)
        } else if lost.isEmpty {
            checks.insert(CalibrationCheck(name: "rods found", status: .pass,
                                           detail: "\(rods.count - missing.count) rods seen; \(place(invisible)) has the body's own density and was placed from the other rods' layout"), at: 0)
        } else {
            checks.insert(CalibrationCheck(name: "rods found", status: .fail,
                                           detail: "not found: \(place(lost)) (measured where the other rods' layout puts it; the fit is not to be trusted)"), at: 0)
        }
        checks += CommonGates.rodSD(rods)
        var alongZ: [SliceCalibration]?
        if let slab = settings.alongZSlabMM, let fit, manual == nil {
            let slabs = CalibrationAlongZ.fit(v, rods: rods, method: phantom.calibration,
                                              quantity: phantom.certificateQuantities.first, slabMM: slab)
            alongZ = slabs
            checks.append(CalibrationAlongZ.check(slabs, overall: fit))
        }
        let status = checks.map(\.status).max() ?? .pass
        return CalibrationResult(phantom: phantom.id, certificate: certificate.map { "\($0.serial) (\($0.source))" },
                                 method: phantom.calibration, rois: manual == nil ? "detected" : "manual (\(manualSource ?? "file"))",
                                 identity: identity, rods: rods, fit: fit, alongZ: alongZ,
                                 slices: slicesUsed.map { [$0.lowerBound, $0.upperBound] }, notFound: nil, checks: checks, status: status)
    }

}
