import Foundation
import QCTPhantoms

extension RepeatVariation {
    /// One scan's variation, drawn from `seed` (normal deviates, Box–Muller).
    public func draw(seed: UInt64) -> DayVariation {
        var rng = SimulationRandom(seed: seed ^ 0xDA7_DA7)
        func normal() -> Double {
            let u = max(rng.uniform(0, 1), 1e-12), v = rng.uniform(0, 1)
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        return DayVariation(gain: 1 + gainSD * normal(), offsetHU: offsetSDHU * normal(),
                            gradientXHUPer100mm: gradientSDHUPer100mm * normal(), gradientYHUPer100mm: gradientSDHUPer100mm * normal(),
                            cuppingHU: cuppingSDHU * normal(), hardening: hardeningSD * normal())
    }
}
