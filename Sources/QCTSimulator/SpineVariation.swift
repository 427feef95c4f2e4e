import QCTPhantoms

/// What `qct simulate --vary` drew for a spine phantom (recorded in truth.json).
///
/// Real vertebrae and spine phantoms differ from any template: body size,
/// cortical shell, disc gap, posterior elements and the column's tilt all
/// vary, and a series runs head-first or feet-first. Ranges follow the
/// vertebra-finding requirements (Docs/simulator.md).
public struct SpineVariation: Codable, Sendable {
    public var phantom: String
    /// Trabecular semi-axes [lateral, anterior–posterior], mm (15–30).
    public var bodySemiAxesMM: [Double]
    /// Cortical shell and endplate thickness, mm (0.5–3).
    public var shellMM: Double
    /// Height of each body, endplates included, mm.
    public var bodyHeightMM: Double
    /// Gap between neighbouring bodies (the disc), mm (3–15).
    public var gapMM: Double
    /// Pedicle width, spinal canal width, lamina thickness and spinous process length, mm.
    public var pedicleWidthMM: Double
    public var canalWidthMM: Double
    public var laminaMM: Double
    public var spinousLengthMM: Double
    /// Column tilt in the coronal (x–z) and sagittal (y–z) planes, degrees (±10).
    public var tiltDegrees: [Double]
    /// L1 at the +z end (a feet-first series of the same phantom).
    public var feetFirst: Bool
    /// Body centre in the phantom frame at z = 0, mm.
    public var centerMM: [Double]
}

extension SceneVary {
    /// A spine phantom rebuilt with drawn anatomy: per vertebra (in the
    /// template's z order), posterior elements (two pedicles, a lamina, a
    /// spinous process; the canal between them stays body material), then
    /// the cortical body, then its trabecular interior. The certificate
    /// names and compositions of the template are kept.
    static func spine(_ p: PhantomDefinition, rng: inout SimulationRandom) -> (PhantomDefinition, SpineVariation)? {
        let vertebrae = p.inserts.filter { $0.role == .vertebra }.sorted { $0.shape.zRange.lowerBound < $1.shape.zRange.lowerBound }
        guard !vertebrae.isEmpty else { return nil }
        let cortex = p.inserts.first { $0.role == .structure }?.composition ?? vertebrae[0].composition
        let a = rng.uniform(15, 30), b = rng.uniform(15, a)
        let shell = rng.uniform(0.5, 3)
        let gap = rng.uniform(3, 15)
        let height = rng.uniform(22, 32)
        let pedicle = rng.uniform(5, 10)
        let canal = min(rng.uniform(12, 24), 2 * (a + shell) - 2 * pedicle - 4)
        let lamina = rng.uniform(4, 8)
        let pedicleLength = rng.uniform(6, 12)
        let spinous = rng.uniform(12, 30)
        let tilt = [rng.uniform(-10, 10), rng.uniform(-10, 10)]
        let feetFirst = rng.uniform(0, 1) < 0.5
        // Keep the whole vertebra (body to spinous tip) inside the phantom body.
        let (bx, by) = p.body.shape.halfExtents
        let cy = min(by - 8 - (b + shell + pedicleLength + lamina + spinous), max(-by + 8 + b + shell, rng.uniform(-10, 50)))
        let cx = rng.uniform(-max(0, bx - a - 40), max(0, bx - a - 40)) * 0.3
        let pitch = height + gap
        let n = vertebrae.count
        var inserts = p.inserts.filter { $0.role != .vertebra && $0.role != .structure }
        for (k, v) in vertebrae.enumerated() {
            let order = feetFirst ? Double(n - 1 - k) : Double(k)
            let zc = (order - Double(n - 1) / 2) * pitch
            let z0 = zc - height / 2, z1 = zc + height / 2
            let back = cy + b + shell
            let postHalf = height * 0.35
            func box(_ x0: Double, _ x1: Double, _ y0: Double, _ y1: Double) -> Shape {
                Shape(kind: .box, center: [(x0 + x1) / 2, (y0 + y1) / 2, zc], size: [x1 - x0, y1 - y0, 2 * postHalf])
            }
            let xo = canal / 2 + pedicle
            let parts: [(String, Shape)] = [
                ("pedicle-left", box(cx - xo, cx - canal / 2, back - b * 0.4, back + pedicleLength)),
                ("pedicle-right", box(cx + canal / 2, cx + xo, back - b * 0.4, back + pedicleLength)),
                ("lamina", box(cx - xo, cx + xo, back + pedicleLength, back + pedicleLength + lamina)),
                ("spinous", box(cx - pedicle / 2, cx + pedicle / 2, back + pedicleLength + lamina - 1,
                                back + pedicleLength + lamina + spinous)),
            ]
            func structure(_ name: String, _ shape: Shape) -> PhantomDefinition.Insert {
                var s = v
                s.name = "\(v.name)-\(name)"
                s.role = .structure
                s.shape = shape
                s.composition = cortex
                s.nominal = nil
                s.nominalUnit = nil
                return s
            }
            for (name, shape) in parts { inserts.append(structure(name, shape)) }
            inserts.append(structure("cortex", Shape(kind: .ellipticCylinder, center: [cx, cy], semiAxes: [a + shell, b + shell], z: [z0, z1])))
            var trabecular = v
            trabecular.shape = Shape(kind: .ellipticCylinder, center: [cx, cy], semiAxes: [a, b], z: [z0 + shell, z1 - shell])
            inserts.append(trabecular)
        }
        var q = p
        q.inserts = inserts
        let span = Double(n - 1) * pitch + height
        q.body.shape.z = [-(span / 2 + 4), span / 2 + 4]
        let record = SpineVariation(phantom: p.id, bodySemiAxesMM: [a, b], shellMM: shell, bodyHeightMM: height, gapMM: gap,
                                    pedicleWidthMM: pedicle, canalWidthMM: canal, laminaMM: lamina, spinousLengthMM: spinous,
                                    tiltDegrees: tilt, feetFirst: feetFirst, centerMM: [cx, cy])
        return (q, record)
    }
}
