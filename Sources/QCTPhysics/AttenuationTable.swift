#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mass attenuation coefficients of the elements, from the committed table
/// (`AttenuationData`, generated from xraydb; see its header for provenance).
public enum AttenuationTable {
    /// Where the numbers come from.
    public static var source: String { AttenuationData.source }

    /// Energies covered, keV.
    public static var energyRangeKeV: ClosedRange<Double> {
        let n = AttenuationData.massAttenuation["H"]?.count ?? 1
        return AttenuationData.firstEnergyKeV...(AttenuationData.firstEnergyKeV + Double(n - 1) * AttenuationData.stepKeV)
    }

    /// Elements in the table.
    public static var elements: [String] { AttenuationData.atomicMass.keys.sorted() }

    /// Atomic mass, g/mol; nil for an element not in the table.
    public static func atomicMass(_ element: String) -> Double? { AttenuationData.atomicMass[element] }

    /// μ/ρ of an element at `energyKeV`, cm²/g: log-log interpolation between
    /// the 1 keV grid points (attenuation follows a power law between edges;
    /// no element here has an absorption edge above 20 keV).
    public static func massAttenuation(_ element: String, energyKeV: Double) -> Double? {
        guard let values = AttenuationData.massAttenuation[element], energyRangeKeV.contains(energyKeV) else { return nil }
        let x = (energyKeV - AttenuationData.firstEnergyKeV) / AttenuationData.stepKeV
        let i = min(Int(x), values.count - 2)
        let e0 = AttenuationData.firstEnergyKeV + Double(i) * AttenuationData.stepKeV
        let e1 = e0 + AttenuationData.stepKeV
        let t = (log(energyKeV) - log(e0)) / (log(e1) - log(e0))
        return exp(log(values[i]) + t * (log(values[i + 1]) - log(values[i])))
    }
}
