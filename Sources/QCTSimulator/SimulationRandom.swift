/// Seeded uniform numbers for scene set-up (repositioning).
public struct SimulationRandom {
    var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed ^ 0x5EED_5EED_5EED_5EED) }
    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * generator.uniform() }
}
