import Foundation
import QCTPhantoms

/// What `qct simulate --vary` drew for one scan (recorded in truth.json):
/// real pads and set-ups differ from any template, so every geometric
/// property a real phantom or site can change is drawn from the seed.
public struct SceneVariation: Codable, Sendable {
    public struct Phantom: Codable, Sendable {
        public var id: String
        /// Rod radius, mm (diameters 8–30 mm).
        public var rodRadiusMM: Double
        /// Line phantoms: centre spacing of neighbouring rods, mm; ring phantoms: ring radius, mm.
        public var spacingMM: Double?
        public var ringRadiusMM: Double?
        /// Rod order reversed (mirror image of the model).
        public var mirrored: Bool
        /// Body size [x, y] mm after variation.
        public var bodySizeMM: [Double]
        /// Extra rotation of this phantom about z, degrees.
        public var rotationDegrees: Double
    }
    public struct Couch: Codable, Sendable {
        /// "flat" or "curved".
        public var kind: String
        public var thicknessMM: Double
        public var widthMM: Double
        /// HU of the couch shell.
        public var hu: Double
        /// Patient y of the couch top, mm.
        public var topYMM: Double
    }
    public var phantoms: [Phantom]
    public var couch: Couch?
    /// A simple patient (fat, muscle, a vertebra with its arch) lying on the pad.
    public var patient: Bool
    /// Scene translation drawn so the rods stay inside the field of view, mm.
    public var translationMM: [Double]
    /// The spine phantom's drawn anatomy, when the scene has one.
    public var spine: SpineVariation?
    /// The simulated patient's drawn anatomy (patient scenes).
    public var anatomy: AbdomenAnatomy?
}

/// Draws a `SceneVariation` and applies it to phantom definitions.
enum SceneVary {
    /// The varied copy of a phantom with rods: radius, spacing or ring radius, order, body size.
    static func vary(_ p: PhantomDefinition, rng: inout SimulationRandom) -> (PhantomDefinition, SceneVariation.Phantom)? {
        guard !p.inserts.contains(where: { $0.role == .vertebra }) else { return nil }
        let rods = p.inserts.indices.filter { p.inserts[$0].role == .rod || p.inserts[$0].role == .plug }
        guard rods.count >= 2, p.calibration != .none else { return nil }
        var q = p
        let mirrored = rng.uniform(0, 1) < 0.5
        let centres = rods.map { (p.inserts[$0].shape.center[0], p.inserts[$0].shape.center[1]) }
        let arrangement = p.effectiveLayout.arrangement
        var record = SceneVariation.Phantom(id: p.id, rodRadiusMM: 0, spacingMM: nil, ringRadiusMM: nil, mirrored: mirrored,
                                            bodySizeMM: [], rotationDegrees: rng.uniform(-10, 10))
        var scale = 1.0
        var radius: Double
        switch (arrangement, p.body.shape.kind) {
        case (.line, .box):
            // Height limits the rods; spacing keeps each rod's surround clear of its neighbours.
            let height = rng.uniform(25, 60)
            radius = min(rng.uniform(4, 15), (height - 8) / 2)
            let xs = centres.map(\.0).sorted()
            let template = zip(xs, xs.dropFirst()).map { $1 - $0 }.min() ?? 60
            let spacing = rng.uniform(max(15, 3.2 * radius + 4), 110)
            scale = spacing / template
            let span = (xs.last! - xs.first!) * scale
            let width = span + 2 * radius + rng.uniform(30, 120)
            q.body.shape.size = [width, height, p.body.shape.size?[2] ?? 300]
            record.spacingMM = spacing
            record.bodySizeMM = [width, height]
        case (.ring, .cylinder):
            let ring0 = centres.map { hypot($0.0, $0.1) }.reduce(0, +) / Double(centres.count)
            radius = rng.uniform(4, 12)
            let n = Double(centres.count)
            // Neighbouring rods 3.2 radii + 4 mm apart at least: chord 2R sin(π/n).
            let minRing = max(15, (3.2 * radius + 4) / (2 * sinValue(Double.pi / n)))
            let ring = rng.uniform(minRing, max(minRing, 60))
            scale = ring / ring0
            let body = ring + radius + rng.uniform(10, 40)
            q.body.shape.radius = body
            record.ringRadiusMM = ring
            record.bodySizeMM = [2 * body, 2 * body]
        default:
            radius = rng.uniform(4, 12)
        }
        record.rodRadiusMM = radius
        for i in rods {
            var s = q.inserts[i].shape
            s.center[0] *= scale * (mirrored ? -1 : 1)
            s.center[1] *= scale
            if s.kind == .cylinder { s.radius = radius }
            q.inserts[i].shape = s
        }
        return (q, record)
    }

    /// Couch shapes under `bottomY` (the lowest phantom's underside, patient y), drawn before the phantoms.
    static func couch(bottomY: Double, rng: inout SimulationRandom) -> ([(Shape, Double)], SceneVariation.Couch) {
        let curved = rng.uniform(0, 1) < 0.5
        let thickness = rng.uniform(4, 20), width = rng.uniform(380, 560), hu = rng.uniform(100, 600)
        let top = bottomY + rng.uniform(0, 8)
        let long = [-2000.0, 2000.0]
        var shapes: [(Shape, Double)] = []
        if curved {
            let depth = rng.uniform(60, 140)
            let centreY = top - depth + thickness
            // Lower half of an elliptic shell: outer ellipse, inner air ellipse, air above the couch top.
            shapes.append((Shape(kind: .ellipticCylinder, center: [0, centreY], size: nil, semiAxes: [width / 2, depth], radius: nil, z: long), hu))
            shapes.append((Shape(kind: .ellipticCylinder, center: [0, centreY], size: nil, semiAxes: [width / 2 - thickness, depth - thickness],
                                 radius: nil, z: long), -1000))
            shapes.append((Shape(kind: .box, center: [0, centreY - depth / 2 - 1, 0], size: [width + 2, depth + 2, 4000], semiAxes: nil,
                                 radius: nil, z: nil), -1000))
        } else {
            shapes.append((Shape(kind: .box, center: [0, top + thickness / 2, 0], size: [width, thickness, 4000], semiAxes: nil, radius: nil, z: nil), hu))
        }
        return (shapes, SceneVariation.Couch(kind: curved ? "curved" : "flat", thicknessMM: thickness, widthMM: width, hu: hu, topYMM: top))
    }

    /// A simple patient whose back rests on `topY` (the pad's upper face, patient y): fat, muscle,
    /// a vertebral body with cortex and a posterior arch — anatomy the rod finder must reject.
    static func patient(topY: Double, rng: inout SimulationRandom) -> [(Shape, Double)] {
        let a = rng.uniform(120, 170), b = rng.uniform(80, 120)
        let cy = topY - b - 1
        let long = [-2000.0, 2000.0]
        func ellipse(_ x: Double, _ y: Double, _ sa: Double, _ sb: Double) -> Shape {
            Shape(kind: .ellipticCylinder, center: [x, y], size: nil, semiAxes: [sa, sb], radius: nil, z: long)
        }
        let fat = rng.uniform(-120, -80), muscle = rng.uniform(30, 60)
        let vy = cy + b - rng.uniform(45, 60)
        return [
            (ellipse(0, cy, a, b), fat),
            (ellipse(0, cy, a - rng.uniform(10, 30), b - rng.uniform(10, 25)), muscle),
            (Shape(kind: .box, center: [0, vy + 28, 0], size: [10, 26, 4000], semiAxes: nil, radius: nil, z: nil), 700),
            (ellipse(0, vy, 20, 16), 700),
            (ellipse(0, vy, 18.5, 14.5), rng.uniform(80, 220)),
        ]
    }
}
