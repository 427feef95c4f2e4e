import QCTPhantoms
import QCTPhysics
import QCTStatistics

/// One tissue ROI measured in the patient's own scan.
public struct TissueReading: Codable, Sendable, Equatable {
    /// A tissue of the policy ("air", "adipose", "blood", "muscle", "cortical bone").
    public var tissue: String
    /// ROI mean, HU.
    public var meanHU: Double
    /// ROI SD, HU.
    public var sdHU: Double
    /// ROI area summed over its slices, mm².
    public var areaMM2: Double
    public var voxels: Int
    /// Where the ROI lies, for the report (patient coordinates, mm).
    public var centerMM: [Double]

    public init(tissue: String, meanHU: Double, sdHU: Double, areaMM2: Double, voxels: Int, centerMM: [Double]) {
        self.tissue = tissue
        self.meanHU = meanHU
        self.sdHU = sdHU
        self.areaMM2 = areaMM2
        self.voxels = voxels
        self.centerMM = centerMM
    }
}

/// What internal calibration expresses BMD as.
public enum BoneEquivalent: String, Codable, Sendable, CaseIterable {
    /// K2HPO4 in the liquid convention of the Mindways calibration (domain reference §3):
    /// ρ_K2HPO4 dissolved in 999.6 − 0.2174 · ρ_K2HPO4 mg/cm³ of water.
    case k2hpo4 = "K2HPO4"
    /// Hydroxyapatite displacing its own volume of water (at the catalog's HA density).
    case hydroxyapatite = "HA"
}

/// Internal (phantomless) calibration from the patient's tissues (Michalski et al., Med Eng Phys
/// 2020;78:55–63; domain reference §12): the effective energy is the grid energy that maximises R²
/// between the tissues' ROI mean HU and their linear attenuation μ (ICRU-44 compositions, the
/// xraydb table); the fit HU = a + b · μ at that energy turns a bone ROI's HU into μ, and a
/// two-component model (mineral + water) turns μ into mineral density.
public struct InternalCalibration: Codable, Sendable, Equatable {
    /// A tissue used in the fit.
    public struct UsedTissue: Codable, Sendable, Equatable {
        public var tissue: String
        public var material: String
        public var meanHU: Double
        /// μ at the effective energy, 1/cm.
        public var muPerCm: Double
        /// HU − (a + b · μ), HU.
        public var residualHU: Double
    }

    /// A tissue that failed its check, by name, with the reason.
    public struct Refused: Codable, Sendable, Equatable {
        public var tissue: String
        public var reason: String
    }

    /// The energy found, keV, and the grid searched.
    public var effectiveEnergyKeV: Double
    public var gridKeV: [Double]
    /// R² of HU against μ at that energy.
    public var r2: Double
    /// How firmly the tissues fix the energy: the smaller rise of the RMS residual, HU, when the fit's
    /// own HU are refitted at the energy ± the policy's relative step (`energyLever`).
    public var energyLeverHU: Double
    /// HU = interceptHU + huPerInverseCm · μ.
    public var interceptHU: Double
    public var huPerInverseCm: Double
    public var tissues: [UsedTissue]
    public var refused: [Refused]
    public var output: BoneEquivalent
    /// Mass attenuation at the effective energy, cm²/g, of water and of the mineral.
    public var waterMassAttenuation: Double
    public var mineralMassAttenuation: Double
    /// Water displaced per unit mass of mineral (0.2174 for dissolved K2HPO4; 1/ρ_HA for HA).
    public var waterDisplacement: Double
    /// Water density of mineral-free tissue in the model, mg/cm³.
    public var mineralFreeWaterMgPerCm3: Double
    /// The BMD map as a line: BMD = slope · HU + intercept (mg/cm³).
    public var slope: Double
    public var intercept: Double

    /// Mineral density, mg/cm³, of an ROI whose mean is `hu`.
    public func bmd(hu: Double) -> Double { slope * hu + intercept }

    /// Why internal calibration could not be made.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var refused: [Refused]
        public var description: String {
            ([reason] + refused.map { "\($0.tissue): \($0.reason)" }).joined(separator: "; ")
        }
    }

    /// Calibrates from `readings` under `policy`, with compositions from `materials` (the catalog's:
    /// the policy's tissue materials, `water`, and `K2HPO4` or `hydroxyapatite`).
    public static func fit(_ readings: [TissueReading], policy: PatientPolicy.InternalCalibration,
                           materials: [String: Material], output: BoneEquivalent) -> Result<InternalCalibration, Failure> {
        var refused: [Refused] = []
        var used: [(PatientPolicy.Tissue, Material, Double)] = []
        for t in policy.tissues {
            guard let r = readings.first(where: { $0.tissue == t.name }) else { continue }
            guard let material = materials[t.material] else {
                refused.append(Refused(tissue: t.name, reason: "material \(t.material) is not in the catalog"))
                continue
            }
            if !r.meanHU.isFinite {
                refused.append(Refused(tissue: t.name, reason: "no ROI mean"))
            } else if r.areaMM2 < policy.minimumAreaMM2 {
                refused.append(Refused(tissue: t.name, reason: "ROI of \(fmt(r.areaMM2)) mm² is below the \(fmt(policy.minimumAreaMM2)) mm² minimum"))
            } else if !t.window.contains(r.meanHU) {
                refused.append(Refused(tissue: t.name, reason: "mean \(fmt(r.meanHU)) HU is outside its window \(fmt(t.window.lowerBound)) to \(fmt(t.window.upperBound)) HU"))
            } else {
                used.append((t, material, r.meanHU))
            }
        }
        for r in readings where !policy.tissues.contains(where: { $0.name == r.tissue }) {
            refused.append(Refused(tissue: r.tissue, reason: "not a tissue of the policy"))
        }
        guard used.count >= policy.minimumTissues else {
            return .failure(Failure(reason: "internal calibration needs at least \(policy.minimumTissues) tissues within their windows; \(used.count) passed (\(used.map(\.0.name).joined(separator: ", ")))", refused: refused))
        }
        let mineralName = output == .k2hpo4 ? "K2HPO4" : "hydroxyapatite"
        guard let water = materials["water"], let mineral = materials[mineralName] else {
            return .failure(Failure(reason: "the catalog lacks water or \(mineralName)", refused: refused))
        }
        let grid = policy.energyKeV.energies.filter { AttenuationTable.energyRangeKeV.contains($0) }
        var best: (energy: Double, fit: LinearFit, mus: [Double])?
        for e in grid {
            guard let mus = try? used.map({ try $0.1.mu(energyKeV: e) }), let f = LinearFit(x: mus, y: used.map(\.2)), f.r2.isFinite else { continue }
            if best == nil || f.r2 > best!.fit.r2 { best = (e, f, mus) }
        }
        guard let (energy, line, mus) = best, line.slope > 0,
              let mw = try? water.massAttenuation(energyKeV: energy), let mm = try? mineral.massAttenuation(energyKeV: energy) else {
            return .failure(Failure(reason: "no energy of the grid gives a rising fit of HU against attenuation", refused: refused))
        }
        let lever = energyLever(used.map(\.1), at: energy, line: line, mus: mus, step: policy.energyLever.relativeStep)
        guard lever >= policy.energyLever.minimumHU else {
            return .failure(Failure(reason: String(format: "the tissues within their windows (%@) do not fix the effective energy: at %.1f keV ± %.0f %% their fit changes by %.2f HU, below the %.2f HU needed; air, blood and muscle scale with energy as water does, and fat or cortical bone is needed beside air",
                                                   used.map(\.0.name).joined(separator: ", "), energy, 100 * policy.energyLever.relativeStep, lever,
                                                   policy.energyLever.minimumHU), refused: refused))
        }
        // Two-component model: μ (1/cm) = [ρ_m · (μ/ρ)_m + (W − d · ρ_m) · (μ/ρ)_w] / 1000, ρ in mg/cm³.
        let (displacement, freeWater) = output == .k2hpo4
            ? (0.2174, 999.6)                  // Mindways liquid-K2HPO4 convention (domain reference §3)
            : (1 / mineral.density, 1000.0)    // HA displacing its own volume of water at 1 g/cm³
        // μ = (HU − a) / b, so ρ_m = (1000 (HU − a) / b − W (μ/ρ)_w) / ((μ/ρ)_m − d (μ/ρ)_w).
        let denominator = mm - displacement * mw
        let slope = 1000 / line.slope / denominator
        let intercept = (-1000 * line.intercept / line.slope - freeWater * mw) / denominator
        let tissues = zip(used, mus).map { u, mu in
            UsedTissue(tissue: u.0.name, material: u.1.name, meanHU: u.2, muPerCm: mu, residualHU: u.2 - (line.intercept + line.slope * mu))
        }
        return .success(InternalCalibration(
            effectiveEnergyKeV: energy, gridKeV: [grid.first ?? .nan, grid.last ?? .nan, policy.energyKeV.step], r2: line.r2, energyLeverHU: lever,
            interceptHU: line.intercept, huPerInverseCm: line.slope, tissues: tissues, refused: refused, output: output,
            waterMassAttenuation: mw, mineralMassAttenuation: mm, waterDisplacement: displacement,
            mineralFreeWaterMgPerCm3: freeWater, slope: slope, intercept: intercept))
    }
}

extension InternalCalibration {
    /// The tissues' HU as the fit at `energy` predicts them, refitted at `energy` · (1 ± `step`): the
    /// smaller of the two RMS residuals, HU (clamped to the attenuation table's range). A small value
    /// means another energy explains the same readings as well, so the energy is not determined.
    static func energyLever(_ materials: [Material], at energy: Double, line: LinearFit, mus: [Double], step: Double) -> Double {
        let predicted = mus.map { line.intercept + line.slope * $0 }
        let range = AttenuationTable.energyRangeKeV
        var smallest = Double.infinity
        for e in [energy * (1 - step), energy * (1 + step)] {
            let shifted = min(max(e, range.lowerBound), range.upperBound)
            guard shifted != energy, let other = try? materials.map({ try $0.mu(energyKeV: shifted) }),
                  let f = LinearFit(x: other, y: predicted) else { continue }
            let rss = f.residuals.reduce(0) { $0 + $1 * $1 }
            smallest = min(smallest, (rss / Double(predicted.count)).squareRoot())
        }
        return smallest.isFinite ? smallest : 0
    }
}

func fmt(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}
