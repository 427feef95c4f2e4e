import Foundation
import QCTCore
import QCTPhantoms
import QCTStatistics

/// The calibration of one slab of slices (calibration along z): the same
/// rods and certified values as the whole-scan fit, measured in that slab.
public struct SliceCalibration: Codable, Hashable, Sendable {
    /// First and last slice of the slab (0-based, volume order).
    public var slices: [Int]
    /// Patient z of the slab's middle, mm.
    public var zMM: Double
    /// BMD = slope · HU + intercept: mg/cm³ per HU and mg/cm³.
    public var slope: Double
    public var intercept: Double
    /// Mindways only: σ_CT (HU per mg/cm³) and β_CT (HU).
    public var sigmaCT: Double?
    public var betaCT: Double?
    public var r2: Double
}

/// Per-slab calibration along z and its interpolation at any z.
public enum CalibrationAlongZ {
    /// Fits each slab of about `slabMM` over the slices every rod covers.
    static func fit(_ v: Volume, rods: [CalibratedRod], method: PhantomDefinition.CalibrationMethod, quantity: String?, slabMM: Double) -> [SliceCalibration] {
        let g = v.geometry
        guard !rods.isEmpty else { return [] }
        let first = rods.map { $0.sliceRange[0] }.max()!, last = rods.map { $0.sliceRange[1] }.min()!
        guard first <= last else { return [] }
        let width = max(1, Int((slabMM / max(g.sliceSpacing, 1e-6)).rounded()))
        var out: [SliceCalibration] = []
        var a = first
        while a <= last {
            let b = min(last, a + width - 1)
            let hu = rods.map { rod -> Double in
                let values = (a...b).map { rod.sliceMeanHU[$0 - rod.sliceRange[0]] }.filter { $0.isFinite }
                return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            }
            let z = g.position(column: 0, row: 0, slice: Double(a + b) / 2).z
            if hu.allSatisfy(\.isFinite) {
                if method == .mindwaysTwoComponent,
                   let cal = MindwaysCalibration(rods: zip(rods, hu).map { r, h in
                       .init(name: r.name, k2hpo4: r.nominal["K2HPO4"] ?? .nan, water: r.nominal["water"] ?? .nan, hu: h)
                   }) {
                    out.append(SliceCalibration(slices: [a, b], zMM: z, slope: cal.slope, intercept: cal.intercept,
                                                sigmaCT: cal.sigmaCT, betaCT: cal.betaCT, r2: cal.fit.r2))
                } else if method == .linear, let q = quantity,
                          let line = LinearFit(x: hu, y: rods.map { $0.nominal[q] ?? .nan }) {
                    out.append(SliceCalibration(slices: [a, b], zMM: z, slope: line.slope, intercept: line.intercept,
                                                sigmaCT: nil, betaCT: nil, r2: line.r2))
                }
            }
            a = b + 1
        }
        return out
    }

    /// Slope and intercept at patient z: linear between slab middles, the end slab's beyond them.
    public static func at(z: Double, _ slabs: [SliceCalibration]) -> (slope: Double, intercept: Double)? {
        let s = slabs.sorted { $0.zMM < $1.zMM }
        guard let lo = s.first, let hi = s.last else { return nil }
        if z <= lo.zMM { return (lo.slope, lo.intercept) }
        if z >= hi.zMM { return (hi.slope, hi.intercept) }
        for (p, q) in zip(s, s.dropFirst()) where z >= p.zMM && z <= q.zMM {
            let t = q.zMM > p.zMM ? (z - p.zMM) / (q.zMM - p.zMM) : 0
            return (p.slope + t * (q.slope - p.slope), p.intercept + t * (q.intercept - p.intercept))
        }
        return (hi.slope, hi.intercept)
    }

    /// Spread of the slab slopes against the whole-scan slope: warn beyond 3 %.
    static func check(_ slabs: [SliceCalibration], overall: CalibrationFit) -> CalibrationCheck {
        let slopes = slabs.map(\.slope)
        guard let lo = slopes.min(), let hi = slopes.max(), overall.slope != 0 else {
            return CalibrationCheck(name: "calibration along z", status: .warn, detail: "no slab could be fitted")
        }
        let spread = (hi - lo) / abs(overall.slope) * 100
        return CalibrationCheck(name: "calibration along z", status: spread <= 3 ? .pass : .warn,
                                detail: String(format: "%d slabs; slope spread %.2f %% of the whole-scan slope (warn beyond 3 %%)", slabs.count, spread),
                                measured: spread, limit: 3, unit: "%")
    }
}

/// Method names as written in results.

