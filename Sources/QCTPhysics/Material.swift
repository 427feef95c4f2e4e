/// A material: elemental composition by mass fraction, and density.
///
/// Linear attenuation μ = ρ · Σ wᵢ (μ/ρ)ᵢ; the CT number at an effective
/// energy is HU = 1000 · (μ − μ_water) / (μ_water − μ_air).
public struct Material: Hashable, Codable, Sendable {
    public var name: String
    /// Density, g/cm³.
    public var density: Double
    /// Mass fraction per element symbol (sums to 1).
    public var massFractions: [String: Double]

    public init(name: String, density: Double, massFractions: [String: Double]) {
        self.name = name
        self.density = density
        let total = massFractions.values.reduce(0, +)
        self.massFractions = total > 0 ? massFractions.mapValues { $0 / total } : massFractions
    }

    /// A compound from its formula (e.g. `K2HPO4`, `Ca10(PO4)6(OH)2`).
    public init(name: String, formula: String, density: Double) throws(PhysicsError) {
        let counts = try ChemicalFormula.atoms(formula)
        var mass: [String: Double] = [:]
        for (el, n) in counts {
            guard let a = AttenuationTable.atomicMass(el) else { throw PhysicsError("element \(el) of \(formula) is not in the attenuation table") }
            mass[el] = n * a
        }
        self.init(name: name, density: density, massFractions: mass)
    }

    /// Mass attenuation coefficient, cm²/g.
    public func massAttenuation(energyKeV: Double) throws(PhysicsError) -> Double {
        var sum = 0.0
        for (el, w) in massFractions {
            guard let m = AttenuationTable.massAttenuation(el, energyKeV: energyKeV) else {
                throw PhysicsError("no attenuation data for \(el) at \(energyKeV) keV")
            }
            sum += w * m
        }
        return sum
    }

    /// Linear attenuation coefficient, 1/cm.
    public func mu(energyKeV: Double) throws(PhysicsError) -> Double {
        density * (try massAttenuation(energyKeV: energyKeV))
    }

    /// A mixture given by partial densities (mg/cm³ of each component in one
    /// cm³). Partial densities may be negative: certificates express some
    /// rods as "K2HPO4-equivalent" below zero, an attenuation equivalence.
    public static func mixture(name: String, _ parts: [(Material, mgPerCm3: Double)]) -> MixtureSpec {
        MixtureSpec(name: name, parts: parts.map { MixtureSpec.Part(material: $0.0, mgPerCm3: $0.mgPerCm3) })
    }
}

/// Something with a linear attenuation coefficient: a material or a mixture.
public protocol Attenuating: Sendable {
    var name: String { get }
    func mu(energyKeV: Double) throws(PhysicsError) -> Double
}

extension Material: Attenuating {}

/// A mixture of materials by partial density. μ = Σ ρᵢ (μ/ρ)ᵢ.
public struct MixtureSpec: Attenuating, Hashable, Codable {
    public struct Part: Hashable, Codable, Sendable {
        public var material: Material
        /// Partial density, mg/cm³.
        public var mgPerCm3: Double
        public init(material: Material, mgPerCm3: Double) {
            self.material = material
            self.mgPerCm3 = mgPerCm3
        }
    }
    public var name: String
    public var parts: [Part]

    public init(name: String, parts: [Part]) {
        self.name = name
        self.parts = parts
    }

    public func mu(energyKeV: Double) throws(PhysicsError) -> Double {
        var sum = 0.0
        for p in parts { sum += p.mgPerCm3 / 1000 * (try p.material.massAttenuation(energyKeV: energyKeV)) }
        return sum
    }
}

/// Why a physics quantity could not be computed.
public struct PhysicsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// CT numbers at an effective energy (single-energy model of a scanner's beam).
public struct HounsfieldScale: Sendable {
    public let energyKeV: Double
    public let muWater: Double
    public let muAir: Double

    /// Water H2O at 1.000 g/cm³; dry air (N, O, Ar, C by mass) at 1.205 mg/cm³.
    public init(energyKeV: Double) throws(PhysicsError) {
        self.energyKeV = energyKeV
        muWater = try Materials.water.mu(energyKeV: energyKeV)
        muAir = try Materials.air.mu(energyKeV: energyKeV)
    }

    /// HU of a linear attenuation coefficient.
    public func hu(mu: Double) -> Double { 1000 * (mu - muWater) / (muWater - muAir) }

    /// HU of a material or mixture.
    public func hu(_ m: some Attenuating) throws(PhysicsError) -> Double { hu(mu: try m.mu(energyKeV: energyKeV)) }
}

/// Reference materials every phantom shares.
public enum Materials {
    public static let water = Material(name: "water", density: 1.0,
                                       massFractions: ["H": 0.111898, "O": 0.888102])
    /// Dry air near sea level (ICRU 44 composition by mass).
    public static let air = Material(name: "air", density: 0.001205,
                                     massFractions: ["C": 0.000124, "N": 0.755268, "O": 0.231781, "Ar": 0.012827])
}
