import QCTPhantoms

/// Builds a patient's abdomen (`AbdomenAnatomy`) as phantom inserts the scene builder draws:
/// skin, subcutaneous fat, the abdominal muscle wall, visceral fat and viscera, psoas and
/// paraspinal muscles, the aorta with blood, and the vertebrae (trabecular body, cortical shell,
/// pedicles, lamina, spinous and transverse processes, ribs on the rib-bearing ones).
/// The posterior skin lies at y = 0 of the phantom frame (the body extends to −y, anterior),
/// so a scene places the patient on a pad by the pad's offset alone.
enum PatientAnatomy {
    /// `phantom` with its body and inserts made from `anatomy`.
    static func expand(_ phantom: PhantomDefinition, _ anatomy: AbdomenAnatomy) -> PhantomDefinition {
        let a = anatomy.bodySemiAxesMM[0], b = anatomy.bodySemiAxesMM[1]
        let m = anatomy.materials
        let fat = m["fat"] ?? "", muscle = m["muscle"] ?? "", blood = m["blood"] ?? "", cortical = m["cortical"] ?? ""
        let n = anatomy.vertebrae.count
        let pitch = anatomy.vertebralHeightMM + anatomy.discMM
        // Vertebra k (0 = most superior) centred at z_k, the column centred on z = 0.
        let zc = (0..<n).map { (Double(n - 1) / 2 - Double($0)) * pitch }
        let zTop = (zc.first ?? 0) + pitch / 2 + 20, zBottom = (zc.last ?? 0) - pitch / 2 - 20
        let whole = [zBottom, zTop]
        let cy = -b
        func ellipse(_ x: Double, _ y: Double, _ sa: Double, _ sb: Double, _ z: [Double] = whole) -> Shape {
            Shape(kind: .ellipticCylinder, center: [x, y], semiAxes: [sa, sb], z: z)
        }
        func box(_ x0: Double, _ x1: Double, _ y0: Double, _ y1: Double, _ z0: Double, _ z1: Double) -> Shape {
            Shape(kind: .box, center: [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2], size: [x1 - x0, y1 - y0, z1 - z0])
        }
        func insert(_ name: String, _ role: PhantomDefinition.Insert.Role, _ shape: Shape, _ c: Composition,
                    nominal: Double? = nil, unit: String? = nil) -> PhantomDefinition.Insert {
            PhantomDefinition.Insert(name: name, role: role, shape: shape, composition: c, nominal: nominal, nominalUnit: unit)
        }
        let skin = anatomy.skinMM, sub = anatomy.subcutaneousFatMM, wall = anatomy.muscleWallMM
        let cavity = (a - skin - sub - wall, b - skin - sub - wall)
        let (w, d) = (anatomy.vertebralBodySemiAxesMM[0], anatomy.vertebralBodySemiAxesMM[1])
        let shell = anatomy.corticalShellMM
        let yv = -anatomy.spineDepthMM
        let back = yv + d + shell
        let canal = min(22, w), pedicle = 7.0, pedicleLength = 8.0, lamina = 6.0, spinous = 22.0
        let (pa, pb) = (anatomy.psoasSemiAxesMM[0], anatomy.psoasSemiAxesMM[1])
        let (qa, qb) = (anatomy.paraspinalSemiAxesMM[0], anatomy.paraspinalSemiAxesMM[1])
        let r = anatomy.aortaRadiusMM
        let lumbar = [zBottom + 10, (zc.count > 1 ? zc[1] + pitch / 2 : zTop)]
        var inserts: [PhantomDefinition.Insert] = [
            insert("subcutaneous-fat", .tissue, ellipse(0, cy, a - skin, b - skin), Composition(material: fat)),
            insert("abdominal-wall", .tissue, ellipse(0, cy, a - skin - sub, b - skin - sub), Composition(material: muscle)),
            insert("visceral-fat", .tissue, ellipse(0, cy, cavity.0, cavity.1), Composition(material: fat)),
            insert("psoas-left", .tissue, ellipse(w + shell + pa + 1, yv + 2, pa, pb, lumbar), Composition(material: muscle)),
            insert("psoas-right", .tissue, ellipse(-(w + shell + pa + 1), yv + 2, pa, pb, lumbar), Composition(material: muscle)),
            insert("paraspinal-left", .tissue, ellipse(canal / 2 + pedicle + qa * 0.8, back + qb + 4, qa, qb), Composition(material: muscle)),
            insert("paraspinal-right", .tissue, ellipse(-(canal / 2 + pedicle + qa * 0.8), back + qb + 4, qa, qb), Composition(material: muscle)),
            insert("aorta", .tissue, Shape(kind: .cylinder, center: [w * 0.5, yv - d - shell - r - 3], radius: r, z: whole), Composition(material: blood)),
        ]
        // Viscera (soft-tissue organs) fill the front of the cavity, clear of the aorta, which lies in
        // retroperitoneal fat as in a scan without contrast.
        let aortaY = yv - d - shell - r - 3
        let front = cy - cavity.1, limit = aortaY - r - 8
        if limit - front > 30 {
            inserts.insert(insert("viscera", .tissue, ellipse(0, (front + limit) / 2, cavity.0 * 0.72, (limit - front) / 2 - 4), Composition(material: muscle)),
                           at: 3)
        }
        // The spinal canal (cerebrospinal fluid, as water) behind the bodies, and the discs between them.
        inserts.append(insert("spinal-canal", .tissue, ellipse(0, back + pedicleLength / 2 + 1, canal / 2, pedicleLength / 2 + 3), Composition(material: "water")))
        for k in 0..<max(0, n - 1) {
            let top = zc[k] - anatomy.vertebralHeightMM / 2, bottom = zc[k + 1] + anatomy.vertebralHeightMM / 2
            inserts.append(insert("disc-\(anatomy.vertebrae[k])-\(anatomy.vertebrae[k + 1])", .tissue,
                                  ellipse(0, yv, w + shell, d + shell, [bottom, top]), Composition(material: muscle)))
        }
        let posterior = Composition(matrix: muscle, parts: [(cortical, anatomy.posteriorBoneMgPerCm3)])
        for (k, name) in anatomy.vertebrae.enumerated() {
            let z = zc[k], h = anatomy.vertebralHeightMM
            let z0 = z - h / 2, z1 = z + h / 2
            let pz0 = z - h * 0.35, pz1 = z + h * 0.35
            let xo = canal / 2 + pedicle
            let ribs = anatomy.ribBearing.contains(name)
            let transverse = ribs ? 10.0 : 18.0
            var parts: [(String, Shape)] = [
                ("pedicle-left", box(canal / 2, xo, back - d * 0.4, back + pedicleLength, pz0, pz1)),
                ("pedicle-right", box(-xo, -canal / 2, back - d * 0.4, back + pedicleLength, pz0, pz1)),
                ("lamina", box(-xo, xo, back + pedicleLength, back + pedicleLength + lamina, pz0, pz1)),
                ("spinous", box(-pedicle / 2, pedicle / 2, back + pedicleLength + lamina - 1, back + pedicleLength + lamina + spinous, pz0, pz1)),
                ("transverse-left", box(xo, xo + transverse, back + 1, back + 9, z - h * 0.2, z + h * 0.2)),
                ("transverse-right", box(-xo - transverse, -xo, back + 1, back + 9, z - h * 0.2, z + h * 0.2)),
            ]
            if ribs {
                // The rib's head meets the body and the transverse process; its shaft runs laterally and forwards.
                parts += [("rib-left", box(xo + transverse + 2, xo + transverse + 70, back - 6, back + 5, z - 6, z + 6)),
                          ("rib-right", box(-xo - transverse - 70, -xo - transverse - 2, back - 6, back + 5, z - 6, z + 6))]
            }
            for (part, shape) in parts { inserts.append(insert("\(name)-\(part)", .structure, shape, posterior)) }
            inserts.append(insert("\(name)-cortex", .structure, ellipse(0, yv, w + shell, d + shell, [z0, z1]), Composition(material: cortical)))
            let rho = anatomy.trabecularK2HPO4[k]
            // Liquid-K2HPO4 convention (domain reference §3): ρ dissolved in 999.6 − 0.2174 ρ mg/cm³ of water.
            inserts.append(insert(name, .vertebra, ellipse(0, yv, w, d, [z0 + shell, z1 - shell]),
                                  Composition(matrix: nil, parts: [("K2HPO4", rho), ("water", 999.6 - 0.2174 * rho)]),
                                  nominal: rho, unit: "mg K2HPO4/cm3"))
        }
        var p = phantom
        p.body = PhantomDefinition.Solid(shape: ellipse(0, cy, a, b), composition: Composition(material: muscle))
        p.inserts = inserts
        p.anatomy = anatomy
        return p
    }

    /// A patient drawn from the seed: body size across the adult range, fat and muscle, vertebral
    /// size and shell, trabecular densities 20–220 mg/cm³ (a patient level and each vertebra near it).
    static func draw(_ base: AbdomenAnatomy, rng: inout SimulationRandom) -> AbdomenAnatomy {
        var p = base
        let a = rng.uniform(125, 200)
        p.skinMM = rng.uniform(1.5, 3)
        p.subcutaneousFatMM = rng.uniform(8, 45)
        p.muscleWallMM = rng.uniform(8, 18)
        let w = rng.uniform(17, 26)
        let d = w * rng.uniform(0.68, 0.85)
        p.vertebralBodySemiAxesMM = [w, d]
        p.corticalShellMM = rng.uniform(0.6, 2.5)
        p.vertebralHeightMM = rng.uniform(23, 31)
        p.discMM = rng.uniform(6, 12)
        p.aortaRadiusMM = rng.uniform(8, 14)
        p.psoasSemiAxesMM = [rng.uniform(14, 24), rng.uniform(11, 18)]
        p.paraspinalSemiAxesMM = [rng.uniform(22, 34), rng.uniform(15, 24)]
        p.posteriorBoneMgPerCm3 = rng.uniform(600, 1000)
        p.spineDepthMM = p.skinMM + p.subcutaneousFatMM + 2 * p.paraspinalSemiAxesMM[1] + d + p.corticalShellMM + 4 + rng.uniform(0, 8)
        // Deep enough for the column, the aorta and some viscera in front of it.
        let needed = p.spineDepthMM + d + p.corticalShellMM + 2 * p.aortaRadiusMM + 3 + p.muscleWallMM + p.subcutaneousFatMM + p.skinMM + 25
        let b = max(needed / 2 + 10, min(a * rng.uniform(0.62, 0.85), 160), needed * 0.55)
        p.bodySemiAxesMM = [max(a, b + 5), b]
        let level = rng.uniform(30, 200)
        var drift = rng.uniform(-4, 4)
        p.trabecularK2HPO4 = p.vertebrae.indices.map { _ in
            drift += rng.uniform(-6, 6)
            return min(220, max(20, level + drift + rng.uniform(-8, 8)))
        }
        return p
    }
}

extension AbdomenAnatomy {
    /// These densities (mg K2HPO4/cm³ by vertebra name) in place of the anatomy's own.
    func densities(_ override: [String: Double]) -> AbdomenAnatomy {
        var a = self
        for (k, name) in vertebrae.enumerated() { if let d = override[name] { a.trabecularK2HPO4[k] = d } }
        return a
    }
}
