import QCTCalibration
import QCTPhantoms
import QCTPhysics
import QCTStatistics

/// Why a simulation could not be set up.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Turns a scene name, the catalog and a request into placed shapes and truth.
enum SceneBuilder {
    static func build(_ request: SimulationRequest, catalog: PhantomCatalog) throws -> (SceneModel, CalibrationTruth?, [VertebraTruth], SceneVariation?) {
        guard request.vary else {
            let (m, c, v) = try place(request, catalog: catalog)
            return (m, c, v, nil)
        }
        guard let scene = catalog.scenes[request.scene] else {
            throw SimulationError("unknown scene \"\(request.scene)\"; known: \(catalog.scenes.keys.sorted().joined(separator: ", "))")
        }
        var rng = SimulationRandom(seed: request.seed &* 0x2545_F491_4F6C_DD1D ^ 0xA5A5)
        var overrides: [String: PhantomDefinition] = [:]
        var records: [SceneVariation.Phantom] = []
        // Spines draw from their own stream, so adding anatomy leaves the rod set-ups of a seed as they were.
        var spineRNG = SimulationRandom(seed: request.seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x5EED_5B1E)
        var spine: SpineVariation?
        var shears: [String: [Double]] = [:]
        var zShift = 0.0
        var anatomy: AbdomenAnatomy?
        for placement in scene.phantoms {
            guard let phantom = catalog.phantoms[placement.id], overrides[phantom.id] == nil else { continue }
            if let base = phantom.anatomy {
                // A patient: drawn from the spine stream, so the rod set-ups of a seed stay as they were.
                let drawn = PatientAnatomy.draw(base, rng: &spineRNG).densities(request.trabecularK2HPO4)
                overrides[phantom.id] = PatientAnatomy.expand(phantom, drawn)
                anatomy = drawn
                zShift = spineRNG.uniform(-3, 3)
            } else if let (varied, record) = SceneVary.vary(phantom, rng: &rng) {
                overrides[phantom.id] = varied
                records.append(record)
            } else if spine == nil, let (varied, record) = SceneVary.spine(phantom, rng: &spineRNG) {
                overrides[phantom.id] = varied
                spine = record
                shears[phantom.id] = record.tiltDegrees.map { tanValue($0 * Double.pi / 180) }
                // Where the slices fall on the anatomy: anywhere within one slice spacing, and a few mm more.
                zShift = spineRNG.uniform(-3, 3)
            }
        }
        let rotations = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0.rotationDegrees) })
        let withCouch = rng.uniform(0, 1) < 0.8
        let withPatient = scene.phantoms.count == 1 && !records.isEmpty && rng.uniform(0, 1) < 0.5
        // First placement without a shift: where the bodies and rods fall.
        let (first, _, _) = try place(request, catalog: catalog, overrides: overrides, rotations: rotations, shears: shears)
        let bodies = first.shapes.enumerated().filter { first.bodyIndices.contains($0.offset) }.map(\.element)
        let bottom = bodies.map(\.maxY).max() ?? 0, top = bodies.map(\.minY).min() ?? 0
        var before: [(Shape, Double)] = [], after: [(Shape, Double)] = []
        var couch: SceneVariation.Couch?
        if withCouch {
            let c = SceneVary.couch(bottomY: bottom, rng: &rng)
            before = c.0
            couch = c.1
        }
        if withPatient { after = SceneVary.patient(topY: top, rng: &rng) }
        // Shift so every rod stays inside the field of view, 10 mm clear of its edge.
        let half = request.pixelSpacing * Double(request.matrix) / 2
        // (and a spine phantom's vertebrae with their posterior elements).
        // (and a patient's whole body: a patient is centred in the field of view as far as it fits).
        let rods = first.inserts.filter { ["rod", "plug", "vertebra", "structure", "tissue"].contains($0.role) }
        var shift = [0.0, 0.0]
        if !rods.isEmpty {
            for axis in 0..<2 {
                let lo = rods.map { $0.centerMM[axis] - ($0.halfExtentsMM.max() ?? 0) }.min()!
                let hi = rods.map { $0.centerMM[axis] + ($0.halfExtentsMM.max() ?? 0) }.max()!
                let a = -half + 10 - lo, b = half - 10 - hi
                shift[axis] = a < b ? rng.uniform(a, b) : 0
            }
        }
        var shifted = request
        shifted.translationMM = [request.translationMM[0] + shift[0], request.translationMM[1] + shift[1], request.translationMM[2] + zShift]
        var (model, calibration, vertebrae) = try place(shifted, catalog: catalog, overrides: overrides, rotations: rotations, shears: shears)
        func placed(_ list: [(Shape, Double)]) -> [PlacedShape] {
            list.map { PlacedShape(shape: $0.0, hu: $0.1 <= -1000 ? model.airHU : $0.1 * request.profile.huGain + request.profile.huOffset, rotationDegrees: 0,
                                   translation: [shift[0], shift[1], 0]) }
        }
        model.shapes = placed(before) + model.shapes + placed(after)
        if let c = couch { couch = SceneVariation.Couch(kind: c.kind, thicknessMM: c.thicknessMM, widthMM: c.widthMM, hu: c.hu, topYMM: c.topYMM + shift[1]) }
        let variation = SceneVariation(phantoms: records, couch: couch, patient: withPatient, translationMM: shifted.translationMM, spine: spine,
                                       anatomy: anatomy)
        return (model, calibration, vertebrae, variation)
    }

    /// Places the scene's phantoms (varied ones from `overrides`, turned by `rotations` on top of the scene's rotation).
    static func place(_ request: SimulationRequest, catalog: PhantomCatalog, overrides: [String: PhantomDefinition] = [:],
                      rotations: [String: Double] = [:], shears: [String: [Double]] = [:]) throws -> (SceneModel, CalibrationTruth?, [VertebraTruth]) {
        guard let scene = catalog.scenes[request.scene] else {
            throw SimulationError("unknown scene \"\(request.scene)\"; known: \(catalog.scenes.keys.sorted().joined(separator: ", "))")
        }
        let energy = request.profile.effectiveEnergyKeV
        let scale = try HounsfieldScale(energyKeV: energy)
        let gain = request.profile.huGain, offset = request.profile.huOffset
        func scannerHU(_ mix: MixtureSpec) throws -> Double { gain * (try scale.hu(mix)) + offset }

        var shapes: [PlacedShape] = []
        var bodyIndices = Set<Int>()
        var inserts: [InsertTruth] = []
        var phantoms: [PhantomTruth] = []
        var calibration: CalibrationTruth?
        var vertebrae: [(String, Double?, Double?, Double, Double)] = []
        var calibrationRods: [MindwaysCalibration.Rod] = []
        var calibrationLinear: [(hu: Double, density: Double)] = []
        let a = request.rotationDegrees * Double.pi / 180
        let (ca, sa) = (cosValue(a), sinValue(a))
        for placement in scene.phantoms {
            guard var phantom = overrides[placement.id] ?? catalog.phantoms[placement.id] else { throw SimulationError("unknown phantom \(placement.id)") }
            // A patient's inserts are made from its anatomy (the standard one unless varied).
            if let anatomy = phantom.anatomy, phantom.inserts.isEmpty { phantom = PatientAnatomy.expand(phantom, anatomy.densities(request.trabecularK2HPO4)) }
            let turn = request.rotationDegrees + (rotations[placement.id] ?? 0)
            let certificate: Certificate?
            if let serial = request.serials[phantom.id] {
                guard let c = catalog.certificate(for: phantom.id, serial: serial) else {
                    throw SimulationError("no certificate with serial \(serial) for \(phantom.id)")
                }
                certificate = c
            } else {
                certificate = catalog.certificate(for: phantom.id)
            }
            if certificate == nil, !phantom.certificateQuantities.isEmpty {
                throw SimulationError("no certificate for phantom \(phantom.id): add one to the phantom folder or pass --certificate")
            }
            // Scene rotation turns the whole arrangement about the scene origin.
            let ox = placement.offset[0], oy = placement.offset[1]
            let origin = [ox * ca - oy * sa + request.translationMM[0], ox * sa + oy * ca + request.translationMM[1],
                          placement.offset[2] + request.translationMM[2]]
            phantoms.append(PhantomTruth(id: phantom.id, certificateSerial: certificate?.serial, originMM: origin,
                                         rotationDegrees: turn))
            let bodyMix = try catalog.resolve(phantom.body.composition, insert: "body", certificate: certificate)
            bodyIndices.insert(shapes.count)
            shapes.append(PlacedShape(shape: phantom.body.shape, hu: try scannerHU(bodyMix),
                                      rotationDegrees: turn, translation: origin))
            var rods: [MindwaysCalibration.Rod] = []
            var linear: [(hu: Double, density: Double)] = []
            for insert in phantom.inserts {
                let mix = try catalog.resolve(insert.composition, insert: insert.name, certificate: certificate)
                let hu = try scannerHU(mix) * (request.insertScale[insert.name] ?? 1)
                let spinal = insert.role == .vertebra || insert.role == .structure
                let placed = PlacedShape(shape: insert.shape, hu: hu, rotationDegrees: turn, translation: origin,
                                         shear: spinal ? shears[phantom.id] ?? [0, 0] : [0, 0])
                shapes.append(placed)
                let (hx, hy) = insert.shape.halfExtents
                let c = placed.centerPatient
                let certified = certificate?.values[insert.name] ?? [:]
                inserts.append(InsertTruth(
                    phantom: phantom.id, name: insert.name, role: insert.role.rawValue, centerMM: [c.0, c.1],
                    halfExtentsMM: insert.shape.kind == .cylinder ? [hx] : [hx, hy],
                    zRangeMM: [placed.zRange.lowerBound, placed.zRange.upperBound], trueHU: hu, certified: certified,
                    nominal: insert.nominal, nominalUnit: insert.nominalUnit, composition: mix.name))
                if insert.role == .rod {
                    if phantom.calibration == .mindwaysTwoComponent, let k = certified["K2HPO4"], let w = certified["water"] {
                        rods.append(.init(name: insert.name, k2hpo4: k, water: w, hu: hu))
                    } else if phantom.calibration == .linear, let d = certified.values.first {
                        linear.append((hu, d))
                    }
                }
                if insert.role == .vertebra {
                    // An ESP's certified HA, or a patient's K2HPO4-equivalent density.
                    let k2hpo4 = insert.nominalUnit == "mg K2HPO4/cm3" ? insert.nominal : nil
                    if certified["HA"] != nil || k2hpo4 != nil {
                        vertebrae.append((insert.name, certified["HA"], k2hpo4, hu, (placed.zRange.lowerBound + placed.zRange.upperBound) / 2))
                    }
                }
            }
            if calibration == nil, let fit = MindwaysCalibration(rods: rods) {
                calibrationRods = rods
                calibration = CalibrationTruth(method: "mindways-two-component", phantom: phantom.id,
                                               sigmaRef: fit.sigmaRef, betaRef: fit.betaRef, sigmaCT: fit.sigmaCT,
                                               betaCT: fit.betaCT, slope: fit.slope, intercept: fit.intercept, r2: fit.fit.r2)
            } else if calibration == nil, let fit = LinearFit(x: linear.map(\.hu), y: linear.map(\.density)) {
                calibrationLinear = linear
                calibration = CalibrationTruth(method: "linear", phantom: phantom.id, sigmaRef: nil, betaRef: nil,
                                               sigmaCT: nil, betaCT: nil, slope: fit.slope, intercept: fit.intercept, r2: fit.r2)
            }
        }
        let airHU = gain * scale.hu(mu: scale.muAir) + offset
        // At the vertebra's z every CT number carries the gain there.
        func atZ(_ hu: Double, _ z: Double) -> Double? {
            let g = 1 + request.gainGradientPerMM * z
            if let fit = MindwaysCalibration(rods: calibrationRods.map { .init(name: $0.name, k2hpo4: $0.k2hpo4, water: $0.water, hu: g * $0.hu) }) {
                return fit.bmd(hu: g * hu)
            }
            if let fit = LinearFit(x: calibrationLinear.map { g * $0.hu }, y: calibrationLinear.map(\.density)) {
                return fit.slope * g * hu + fit.intercept
            }
            return nil
        }
        let v = vertebrae.map { name, ha, k2hpo4, hu, z in
            VertebraTruth(name: name, trueHA: ha, trueK2HPO4: k2hpo4, trueHU: hu,
                          expectedBMD: calibration.map { $0.slope * hu + $0.intercept }, expectedBMDAtZ: atZ(hu, z))
        }
        return (SceneModel(shapes: shapes, inserts: inserts, phantoms: phantoms, airHU: airHU, bodyIndices: bodyIndices), calibration, v)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func cosValue(_ a: Double) -> Double { cos(a) }
func sinValue(_ a: Double) -> Double { sin(a) }
func tanValue(_ a: Double) -> Double { tan(a) }
