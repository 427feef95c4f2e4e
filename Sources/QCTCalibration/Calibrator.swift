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
        var measured: [CalibratedRod] = []
        if let manual {
            for roi in manual.rods {
                guard roi.centerMM.count == 2, roi.radiusMM > 0 else {
                    throw CalibrationError("\(manualSource ?? "ROI file"): rod \(roi.name) needs centerMM [x, y] and a positive radiusMM")
                }
                let rod = LocatedRod(templateName: roi.name, radiusMM: roi.radiusMM, x0: roi.centerMM[0], y0: roi.centerMM[1],
                                     bx: 0, by: 0, zRef: 0, slices: 0...(v.geometry.slices - 1), detected: true)
                measured.append(CalibratedRod.measure(v, rod: rod, roiRadius: roi.radiusMM, located: "manual"))
            }
        } else {
            for rod in try RodLocator.locate(v, phantom: phantom, settings: settings) {
                let r = max(rod.radiusMM - settings.roiInsetMM, 0.5 * rod.radiusMM)
                measured.append(CalibratedRod.measure(v, rod: rod, roiRadius: r, located: rod.detected ? "detected" : "template"))
            }
        }
        var checks: [CalibrationCheck] = []
        // Identity: which certified values belong to which measured rod.
        let inserts = phantom.inserts.filter { $0.role == .rod || $0.role == .plug }
        var rods: [CalibratedRod] = []
        var fit: CalibrationFit?
        var identity = "template"
        func calibrated(_ m: CalibratedRod, as name: String, nominal: [String: Double], residual: Double?) -> CalibratedRod {
            var rod = m
            rod.name = name
            rod.nominal = nominal
            rod.residualHU = residual
            return rod
        }
        // Manual ROIs name their rods: insert index → measured index.
        var manualOrder: [Int]?
        if manual != nil {
            let order = inserts.map { i in measured.firstIndex { $0.name == i.name } ?? -1 }
            guard !order.contains(-1) else {
                throw CalibrationError("\(manualSource ?? "ROI file") must name every rod: \(inserts.map(\.name).joined(separator: ", "))")
            }
            manualOrder = order
            identity = "manual names"
        }
        switch phantom.calibration {
        case .mindwaysTwoComponent:
            let names = inserts.map(\.name)
            let certified = names.map { (certificate?.value(insert: $0, quantity: "K2HPO4") ?? .nan,
                                         certificate?.value(insert: $0, quantity: "water") ?? .nan) }
            let order: [Int]
            if let manualOrder {
                order = manualOrder
            } else {
                order = bestPermutation(count: names.count) { perm in
                    MindwaysCalibration(rods: perm.enumerated().map { ci, mi in
                        .init(name: names[ci], k2hpo4: certified[ci].0, water: certified[ci].1, hu: measured[mi].meanHU)
                    })?.fit.r2 ?? -1
                }
                identity = "certificate values (best two-component fit over all rod orders)"
            }
            let cal = MindwaysCalibration(rods: order.enumerated().map { ci, mi in
                .init(name: names[ci], k2hpo4: certified[ci].0, water: certified[ci].1, hu: measured[mi].meanHU)
            })
            for (ci, mi) in order.enumerated() {
                rods.append(calibrated(measured[mi], as: names[ci], nominal: ["K2HPO4": certified[ci].0, "water": certified[ci].1],
                                       residual: cal?.fit.residuals[ci]))
            }
            if let cal {
                fit = CalibrationFit(slope: cal.slope, intercept: cal.intercept, sigmaRef: cal.sigmaRef, betaRef: cal.betaRef,
                                     sigmaCT: cal.sigmaCT, betaCT: cal.betaCT, r2: cal.fit.r2, see: cal.fit.see,
                                     slopeStandardError: cal.fit.slopeStandardError,
                                     interceptStandardError: cal.fit.interceptStandardError)
                checks += MindwaysGates.checks(cal, rods: rods)
            }
        case .linear, .none:
            let quantity = phantom.certificateQuantities.first
            let values = inserts.map { i in quantity.flatMap { certificate?.value(insert: i.name, quantity: $0) } ?? i.nominal ?? .nan }
            let byValue = inserts.indices.sorted { values[$0] < values[$1] }
            let byHU: [Int]
            if let manualOrder {
                byHU = byValue.map { manualOrder[$0] }
            } else {
                byHU = measured.indices.sorted { measured[$0].meanHU < measured[$1].meanHU }
                identity = "rank of HU against rank of \(quantity ?? "nominal HU")"
            }
            var pairs: [(ci: Int, mi: Int)] = zip(byValue, byHU).map { ($0, $1) }
            pairs.sort { $0.ci < $1.ci }
            let key = quantity ?? (inserts.first?.nominalUnit ?? "nominal")
            if phantom.calibration == .linear,
               let line = LinearFit(x: pairs.map { measured[$0.mi].meanHU }, y: pairs.map { values[$0.ci] }) {
                // ρ = m · HU + b; residuals reported in HU: (ρ_fit − ρ) / m.
                for (n, p) in pairs.enumerated() {
                    rods.append(calibrated(measured[p.mi], as: inserts[p.ci].name, nominal: [key: values[p.ci]],
                                           residual: line.slope != 0 ? -line.residuals[n] / line.slope : nil))
                }
                fit = CalibrationFit(slope: line.slope, intercept: line.intercept, sigmaRef: nil, betaRef: nil, sigmaCT: nil,
                                     betaCT: nil, r2: line.r2, see: line.see, slopeStandardError: line.slopeStandardError,
                                     interceptStandardError: line.interceptStandardError)
                checks += LinearGates.checks(line, rods: rods)
            } else {
                for p in pairs {
                    rods.append(calibrated(measured[p.mi], as: inserts[p.ci].name, nominal: [key: values[p.ci]], residual: nil))
                }
                checks += PlugGates.checks(rods)
            }
        }
        // A rod certified at 0 mg/cm³ in a matrix phantom is the body's own
        // material: no image can show it, so placing it from the template is
        // expected. Any other rod that was not seen fails the check, by name.
        let missing = rods.filter { $0.located == "template" }
        let invisible = missing.filter { r in
            phantom.calibration == .linear && !r.nominal.isEmpty && r.nominal.values.allSatisfy { $0 == 0 }
        }
        let lost = missing.filter { r in !invisible.contains { $0.name == r.name } }
        func place(_ list: [CalibratedRod]) -> String {
            list.map { String(format: "%@ at x %.1f, y %.1f mm", $0.name, $0.centerMM[0], $0.centerMM[1]) }.joined(separator: ", ")
        }
        if missing.isEmpty {
            checks.insert(CalibrationCheck(name: "rods found", status: .pass, detail: "\(rods.count) of \(rods.count) rods located"), at: 0)
        } else if lost.isEmpty {
            checks.insert(CalibrationCheck(name: "rods found", status: .pass,
                                           detail: "\(rods.count - missing.count) rods seen; \(place(invisible)) has the body's own density and was placed from the template"), at: 0)
        } else {
            checks.insert(CalibrationCheck(name: "rods found", status: .fail,
                                           detail: "not found: \(place(lost)) (measured where the template puts them; the fit is not to be trusted)"), at: 0)
        }
        checks += CommonGates.rodSD(rods)
        var alongZ: [SliceCalibration]?
        if let slab = settings.alongZSlabMM, let fit, manual == nil {
            let slabs = CalibrationAlongZ.fit(v, rods: rods, method: phantom.calibration.rawValue,
                                              quantity: phantom.certificateQuantities.first, slabMM: slab)
            alongZ = slabs
            checks.append(CalibrationAlongZ.check(slabs, overall: fit))
        }
        let status = checks.map(\.status).max() ?? .pass
        return CalibrationResult(phantom: phantom.id, certificate: certificate.map { "\($0.serial) (\($0.source))" },
                                 method: phantom.calibration.rawValue, rois: manual == nil ? "detected" : "manual (\(manualSource ?? "file"))",
                                 identity: identity, rods: rods, fit: fit, alongZ: alongZ, checks: checks, status: status)
    }

    /// The permutation of 0..<count maximising `score` (count ≤ 8).
    static func bestPermutation(count: Int, score: ([Int]) -> Double) -> [Int] {
        var best = Array(0..<count), bestScore = -Double.infinity
        var a = Array(0..<count)
        func permute(_ k: Int) {
            if k == count {
                let s = score(a)
                if s > bestScore { bestScore = s; best = a }
                return
            }
            for i in k..<count {
                a.swapAt(k, i)
                permute(k + 1)
                a.swapAt(k, i)
            }
        }
        permute(0)
        return best
    }
}
