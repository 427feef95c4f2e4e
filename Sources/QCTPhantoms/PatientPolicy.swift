import Foundation

/// How a patient's spine is reported, read from `patient-policy.json` (schema
/// `qct-patient-policy/1`) beside the phantoms: the ACR categories (domain reference §8),
/// the least significant change factor (§5), the tissues and HU windows of internal
/// calibration (§3, §12: Michalski et al. 2020) and what an asynchronous calibration taken
/// from the QC history must match (§3). Every limit is data, so a site can tighten one.
public struct PatientPolicy: Codable, Sendable, Equatable {
    /// Spine trabecular BMD categories, mg/cm³.
    public struct Categories: Codable, Sendable, Equatable {
        public var unit: String
        /// Above this is normal (this value itself is low BMD).
        public var normalAbove: Double
        /// Below this is osteoporosis (this value itself is low BMD).
        public var osteoporosisBelow: Double
        public var source: String?
    }

    /// One reference tissue of internal calibration.
    public struct Tissue: Codable, Sendable, Equatable {
        public var name: String
        /// A material of the catalog (an ICRU-44 composition).
        public var material: String
        /// Plausible ROI mean, HU, both ends included.
        public var windowHU: [Double]
        public var window: ClosedRange<Double> { windowHU[0]...windowHU[1] }
    }

    public struct EnergyGrid: Codable, Sendable, Equatable {
        public var from: Double
        public var to: Double
        public var step: Double
        /// Every energy of the grid, keV, from `from` to `to` inclusive.
        public var energies: [Double] {
            guard step > 0, to >= from else { return [] }
            return (0...Int(((to - from) / step).rounded(.down) + 1e-9)).map { from + Double($0) * step }
        }
    }

    public struct InternalCalibration: Codable, Sendable, Equatable {
        public var source: String?
        public var energyKeV: EnergyGrid
        public var minimumTissues: Int
        public var minimumAreaMM2: Double
        public var tissues: [Tissue]
    }

    /// Tolerances of an asynchronous calibration taken from the QC history.
    public struct HistoryCalibration: Codable, Sendable, Equatable {
        public var source: String?
        public var kvpToleranceKV: Double
        public var reconstructionDiameterToleranceMM: Double
        public var tableHeightToleranceMM: Double
        /// Oldest calibration accepted, days, unless a command asks for less or more.
        public var maxAgeDays: Double
    }

    public var schema: String
    public var description: String?
    public var categories: Categories
    /// LSC = factor × precision (95 %, domain reference §5).
    public var lscFactor: Double
    public var internalCalibration: InternalCalibration
    public var historyCalibration: HistoryCalibration

    /// What is wrong with the policy, as (field, problem); empty when it is usable.
    public func problems(materials: Set<String>) -> [(String, String)] {
        var out: [(String, String)] = []
        if !(categories.osteoporosisBelow < categories.normalAbove) {
            out.append(("categories", "osteoporosisBelow must be below normalAbove"))
        }
        if !(lscFactor > 0) { out.append(("lscFactor", "must be positive")) }
        let grid = internalCalibration.energyKeV
        if !(grid.step > 0 && grid.to > grid.from) { out.append(("internalCalibration.energyKeV", "needs from < to and a positive step")) }
        if internalCalibration.minimumTissues < 3 { out.append(("internalCalibration.minimumTissues", "at least 3 tissues are needed for a fit and its R²")) }
        for (i, t) in internalCalibration.tissues.enumerated() {
            let field = "internalCalibration.tissues[\(i)]"
            if !materials.contains(t.material) { out.append((field + ".material", "unknown material \"\(t.material)\"")) }
            if t.windowHU.count != 2 || !(t.windowHU[0] < t.windowHU[1]) { out.append((field + ".windowHU", "needs [low, high] with low < high")) }
        }
        let h = historyCalibration
        for (name, v) in [("kvpToleranceKV", h.kvpToleranceKV), ("reconstructionDiameterToleranceMM", h.reconstructionDiameterToleranceMM),
                          ("tableHeightToleranceMM", h.tableHeightToleranceMM), ("maxAgeDays", h.maxAgeDays)] where !(v >= 0) {
            out.append(("historyCalibration." + name, "must be zero or more"))
        }
        return out
    }
}
