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
        /// How firmly the tissues must fix the effective energy (`InternalCalibration.energyLever`).
        public var energyLever: EnergyLever
    }

    /// The effective energy counts as found only when a relative error of `relativeStep` in it
    /// would raise the RMS residual of the tissues' fit by at least `minimumHU`. Air, blood and
    /// muscle scale with energy as water does, so they fit every energy about equally; only a
    /// tissue that departs from water (fat, cortical bone) together with air fixes the energy.
    public struct EnergyLever: Codable, Sendable, Equatable {
        public var source: String?
        public var relativeStep: Double
        public var minimumHU: Double
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

    /// How vertebrae are found, named and read in a patient (Docs/patient.md).
    public struct Spine: Codable, Sendable, Equatable {
        /// Bone thresholds tried in turn, HU: the cortical shell stands above each, and a dense
        /// trabecular interior stays below at least one.
        public var boneThresholdsHU: [Double]
        /// Area of the region a shell encloses in one slice, mm² [min, max].
        public var interiorAreaMM2: [Double]
        /// Rib search either side of a body, mm beyond its half-width [from, to].
        public var ribWindowMM: [Double]
        /// Bone area in a rib window that makes a vertebra rib-bearing, mm².
        public var ribAreaMM2: Double
        /// Trabecular ROI: eroded this far from the inner shell, over a mid-vertebral slab this thick, mm.
        public var erosionMM: Double
        public var slabMM: Double
        /// The vertebrae whose mean is reported (two measurable, in this order of preference).
        public var reported: [String]
    }

    public var schema: String
    public var description: String?
    public var spine: Spine
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
        if spine.boneThresholdsHU.isEmpty { out.append(("spine.boneThresholdsHU", "needs at least one threshold")) }
        for (name, v) in [("interiorAreaMM2", spine.interiorAreaMM2), ("ribWindowMM", spine.ribWindowMM)]
        where v.count != 2 || !(v[0] >= 0 && v[0] < v[1]) {
            out.append(("spine." + name, "needs [min, max] with 0 ≤ min < max"))
        }
        if !(spine.erosionMM >= 0 && spine.slabMM > 0 && spine.ribAreaMM2 > 0) { out.append(("spine", "erosionMM ≥ 0, slabMM > 0 and ribAreaMM2 > 0 are needed")) }
        if spine.reported.count < 2 { out.append(("spine.reported", "names at least two vertebrae")) }
        let grid = internalCalibration.energyKeV
        if !(grid.step > 0 && grid.to > grid.from) { out.append(("internalCalibration.energyKeV", "needs from < to and a positive step")) }
        let lever = internalCalibration.energyLever
        if !(lever.relativeStep > 0 && lever.relativeStep < 1 && lever.minimumHU >= 0) {
            out.append(("internalCalibration.energyLever", "needs 0 < relativeStep < 1 and minimumHU ≥ 0"))
        }
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
