/// The parameters of a simulated adult abdomen from T12 to L4 (the patient scenes): body size,
/// fat and muscle layers, the vertebrae with their trabecular density (K2HPO4-equivalent,
/// liquid convention: ρ in 999.6 − 0.2174 ρ mg/cm³ of water, domain reference §3), the aorta,
/// and which vertebrae bear ribs. All lengths mm; +y is posterior (towards the table), +z superior.
public struct AbdomenAnatomy: Codable, Hashable, Sendable {
    /// Outer body (skin) semi-axes [left–right, anterior–posterior].
    public var bodySemiAxesMM: [Double]
    public var skinMM: Double
    public var subcutaneousFatMM: Double
    public var muscleWallMM: Double
    /// Vertebrae from superior to inferior, e.g. ["T12", "L1", "L2", "L3", "L4"].
    public var vertebrae: [String]
    /// Vertebrae that carry ribs (T12, the lowest rib-bearing vertebra, in a typical spine).
    public var ribBearing: [String]
    /// Trabecular K2HPO4-equivalent density of each vertebra, mg/cm³.
    public var trabecularK2HPO4: [Double]
    /// Vertebral body (trabecular part) semi-axes [left–right, anterior–posterior].
    public var vertebralBodySemiAxesMM: [Double]
    public var corticalShellMM: Double
    public var vertebralHeightMM: Double
    public var discMM: Double
    /// Centre of the vertebral bodies from the posterior skin, mm (y).
    public var spineDepthMM: Double
    public var aortaRadiusMM: Double
    public var psoasSemiAxesMM: [Double]
    public var paraspinalSemiAxesMM: [Double]
    /// Bone mineral of the posterior elements and ribs (cortical bone in muscle), mg/cm³.
    public var posteriorBoneMgPerCm3: Double
    /// Materials of the catalog: fat, muscle, blood, cortical bone.
    public var materials: [String: String]

    /// What is wrong with the parameters, as (field, problem).
    public func problems(knownMaterials: Set<String>) -> [(String, String)] {
        var out: [(String, String)] = []
        func positive(_ name: String, _ v: [Double], count: Int) {
            if v.count != count || !v.allSatisfy({ $0.isFinite && $0 > 0 }) { out.append((name, "needs \(count) positive numbers (mm)")) }
        }
        positive("bodySemiAxesMM", bodySemiAxesMM, count: 2)
        positive("vertebralBodySemiAxesMM", vertebralBodySemiAxesMM, count: 2)
        positive("psoasSemiAxesMM", psoasSemiAxesMM, count: 2)
        positive("paraspinalSemiAxesMM", paraspinalSemiAxesMM, count: 2)
        positive("lengths", [skinMM, subcutaneousFatMM, muscleWallMM, corticalShellMM, vertebralHeightMM, discMM, spineDepthMM, aortaRadiusMM], count: 8)
        if vertebrae.isEmpty || vertebrae.count != trabecularK2HPO4.count { out.append(("trabecularK2HPO4", "needs one density per vertebra")) }
        if !trabecularK2HPO4.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1500 }) { out.append(("trabecularK2HPO4", "densities must lie in 0…1500 mg/cm³")) }
        for r in ribBearing where !vertebrae.contains(r) { out.append(("ribBearing", "\(r) is not one of the vertebrae")) }
        for key in ["fat", "muscle", "blood", "cortical"] {
            guard let m = materials[key] else { out.append(("materials.\(key)", "missing")); continue }
            if !knownMaterials.contains(m) { out.append(("materials.\(key)", "unknown material \"\(m)\"")) }
        }
        return out
    }
}
