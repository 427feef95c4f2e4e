import Foundation
import QCTCore
import QCTPhysics

/// Every phantom model, certificate and material found in the phantom
/// folders, validated. Files that fail validation are listed in `errors`
/// (file and field named) and left out; the rest stays usable.
public struct PhantomCatalog: Sendable {
    public private(set) var phantoms: [String: PhantomDefinition] = [:]
    public private(set) var certificates: [Certificate] = []
    public private(set) var materials: [String: Material] = [:]
    public private(set) var scanners: [String: ScannerProfile] = [:]
    public private(set) var scenes: [String: SceneDefinition] = [:]
    /// Which file each phantom / certificate came from.
    public private(set) var origin: [String: String] = [:]
    public private(set) var errors: [PhantomError] = []
    /// The daily-QC metric policy (the last `qct-qc-policy/1` file read), if any.
    public private(set) var qcPolicy: QCPolicy?
    /// How a patient's spine is reported (`patient-policy.json`), when the folder has one.
    public private(set) var patientPolicy: PatientPolicy?

    public init() {}

    /// Loads every `*.json` under `directories` (not recursive), then extra certificate files.
    public static func load(directories: [String], extraCertificates: [String] = []) -> PhantomCatalog {
        var catalog = PhantomCatalog()
        var files: [String] = []
        for dir in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            files += names.filter { $0.hasSuffix(".json") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
        }
        // Materials first: phantoms refer to them.
        let parsed = files.map { ($0, Self.read($0)) } + extraCertificates.map { ($0, Self.read($0)) }
        for (file, result) in parsed {
            guard case .success(let doc) = result, case .materials(let m) = doc else { continue }
            catalog.addMaterials(m, file: file)
        }
        for (file, result) in parsed {
            switch result {
            case .failure(let e): catalog.errors.append(e)
            case .success(.phantom(let p)): catalog.addPhantom(p, file: file)
            case .success(.scanners(let s)): catalog.addScanners(s, file: file)
            case .success(.qcPolicy(let p)):
                catalog.qcPolicy = p
                catalog.origin["qc-policy"] = file
            case .success(.patientPolicy(let p)):
                let problems = p.problems(materials: Set(catalog.materials.keys))
                catalog.errors += problems.map { PhantomError(file: file, field: $0.0, problem: $0.1) }
                if problems.isEmpty {
                    catalog.patientPolicy = p
                    catalog.origin["patient-policy"] = file
                }
            default: break
            }
        }
        for (file, result) in parsed {
            switch result {
            case .success(.certificate(let c)): catalog.addCertificate(c, file: file)
            case .success(.scenes(let s)): catalog.addScenes(s, file: file)
            default: break
            }
        }
        return catalog
    }

    /// The certificate for a phantom: by serial, else the only (or first) one.
    public func certificate(for phantom: String, serial: String? = nil) -> Certificate? {
        let candidates = certificates.filter { $0.phantom == phantom }
        if let serial { return candidates.first { $0.serial == serial } }
        return candidates.first
    }

    // MARK: - Reading

    enum Document {
        case phantom(PhantomDefinition)
        case certificate(Certificate)
        case materials(MaterialCatalogFile)
        case scanners(ScannerProfilesFile)
        case scenes(ScenesFile)
        case qcPolicy(QCPolicy)
        case patientPolicy(PatientPolicy)
    }

    static func read(_ file: String) -> Result<Document, PhantomError> {
        guard let data = FileBytes.read(atPath: file) else {
            return .failure(PhantomError(file: file, field: "", problem: "cannot read file"))
        }
        struct Header: Decodable { var schema: String? }
        let decoder = JSONDecoder()
        do {
            let header = try decoder.decode(Header.self, from: data)
            switch header.schema {
            case "qct-phantom/1": return .success(.phantom(try decoder.decode(PhantomDefinition.self, from: data)))
            case "qct-certificate/1": return .success(.certificate(try decoder.decode(Certificate.self, from: data)))
            case "qct-materials/1": return .success(.materials(try decoder.decode(MaterialCatalogFile.self, from: data)))
            case "qct-scanners/1": return .success(.scanners(try decoder.decode(ScannerProfilesFile.self, from: data)))
            case "qct-qc-policy/1": return .success(.qcPolicy(try decoder.decode(QCPolicy.self, from: data)))
            case "qct-patient-policy/1": return .success(.patientPolicy(try decoder.decode(PatientPolicy.self, from: data)))
            case "qct-scenes/1": return .success(.scenes(try decoder.decode(ScenesFile.self, from: data)))
            case nil: return .failure(PhantomError(file: file, field: "schema", problem: "missing"))
            case let other?:
                return .failure(PhantomError(file: file, field: "schema", problem: "unknown schema \"\(other)\" (expected qct-phantom/1, qct-certificate/1, qct-materials/1, qct-scanners/1, qct-scenes/1, qct-qc-policy/1 or qct-patient-policy/1)"))
            }
        } catch let error as DecodingError {
            return .failure(describe(error, file: file))
        } catch {
            return .failure(PhantomError(file: file, field: "", problem: "\(error)"))
        }
    }

    static func describe(_ error: DecodingError, file: String) -> PhantomError {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { k in k.intValue.map { "[\($0)]" } ?? ".\(k.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let p = path(ctx.codingPath + [key])
            return PhantomError(file: file, field: p, problem: "missing")
        case .typeMismatch(let type, let ctx):
            return PhantomError(file: file, field: path(ctx.codingPath), problem: "expected \(type)")
        case .valueNotFound(let type, let ctx):
            return PhantomError(file: file, field: path(ctx.codingPath), problem: "expected \(type), found null")
        case .dataCorrupted(let ctx):
            let p = path(ctx.codingPath)
            return PhantomError(file: file, field: p, problem: p.isEmpty ? "not valid JSON" : ctx.debugDescription)
        @unknown default:
            return PhantomError(file: file, field: "", problem: "\(error)")
        }
    }

    static func folder(_ file: String) -> String { (file as NSString).deletingLastPathComponent }

    // MARK: - Validation

    mutating func addMaterials(_ m: MaterialCatalogFile, file: String) {
        for (i, entry) in m.materials.enumerated() {
            let field = "materials[\(i)]"
            guard entry.density.isFinite, entry.density > 0 else {
                errors.append(PhantomError(file: file, field: field + ".density", problem: "must be a positive number (g/cm³)"))
                continue
            }
            do throws(PhysicsError) {
                let material: Material
                if let formula = entry.formula {
                    material = try Material(name: entry.name, formula: formula, density: entry.density)
                } else if let fractions = entry.massFractions, !fractions.isEmpty {
                    for el in fractions.keys where AttenuationTable.atomicMass(el) == nil {
                        throw PhysicsError("element \(el) is not in the attenuation table")
                    }
                    material = Material(name: entry.name, density: entry.density, massFractions: fractions)
                } else {
                    errors.append(PhantomError(file: file, field: field, problem: "needs formula or massFractions"))
                    continue
                }
                _ = try material.mu(energyKeV: 70)
                materials[entry.name] = material
            } catch {
                errors.append(PhantomError(file: file, field: field, problem: error.description))
            }
        }
    }

    mutating func addScenes(_ s: ScenesFile, file: String) {
        for (i, scene) in s.scenes.enumerated() {
            var ok = true
            for (j, p) in scene.phantoms.enumerated() {
                if phantoms[p.id] == nil {
                    errors.append(PhantomError(file: file, field: "scenes[\(i)].phantoms[\(j)].id", problem: "unknown phantom \"\(p.id)\""))
                    ok = false
                }
                if p.offset.count != 3 || !p.offset.allSatisfy(\.isFinite) {
                    errors.append(PhantomError(file: file, field: "scenes[\(i)].phantoms[\(j)].offset", problem: "needs [x, y, z] (mm)"))
                    ok = false
                }
            }
            if ok { scenes[scene.name] = scene }
        }
    }

    mutating func addScanners(_ s: ScannerProfilesFile, file: String) {
        for (i, p) in s.profiles.enumerated() {
            let f = "profiles[\(i)]"
            var ok = true
            func bad(_ field: String, _ problem: String) {
                errors.append(PhantomError(file: file, field: f + "." + field, problem: problem))
                ok = false
            }
            if !AttenuationTable.energyRangeKeV.contains(p.effectiveEnergyKeV) {
                bad("effectiveEnergyKeV", "must lie in \(AttenuationTable.energyRangeKeV) keV")
            }
            if !(p.kvp > 0) { bad("kvp", "must be positive (kV)") }
            if !(p.mAs > 0) { bad("mAs", "must be positive") }
            if !(p.noiseSDHU >= 0) { bad("noiseSDHU", "must be ≥ 0 (HU)") }
            if !(p.blurFWHMmm >= 0) { bad("blurFWHMmm", "must be ≥ 0 (mm)") }
            if !(p.huGain > 0) { bad("huGain", "must be positive") }
            if !(p.reconstructionDiameterMM > 0) { bad("reconstructionDiameterMM", "must be positive (mm)") }
            if scanners[p.id] != nil, let other = origin["scanner:" + p.id], Self.folder(other) == Self.folder(file) {
                bad("id", "profile \(p.id) already defined in \(other)")
            }
            if ok {
                scanners[p.id] = p
                origin["scanner:" + p.id] = file
            }
        }
    }

    mutating func addPhantom(_ p: PhantomDefinition, file: String) {
        var problems: [PhantomError] = []
        func bad(_ field: String, _ problem: String) { problems.append(PhantomError(file: file, field: field, problem: problem)) }
        if p.id.isEmpty { bad("id", "empty") }
        // The same id twice in one folder is a mistake; a later folder replaces an earlier one's.
        if let other = origin["phantom:" + p.id], Self.folder(other) == Self.folder(file) { bad("id", "\"\(p.id)\" already defined in \(other)") }
        if p.calibration != .none, p.certificateQuantities.isEmpty { bad("certificateQuantities", "a calibration phantom needs certified quantities") }
        if !(p.positionToleranceMM >= 0) { bad("positionToleranceMM", "must be ≥ 0") }
        checkShape(p.body.shape, "body.shape", bad)
        checkComposition(p.body.composition, "body.composition", p, bad)
        var names = Set<String>()
        for (i, insert) in p.inserts.enumerated() {
            let f = "inserts[\(i)]"
            if !names.insert(insert.name).inserted { bad(f + ".name", "duplicate insert name \"\(insert.name)\"") }
            checkShape(insert.shape, f + ".shape", bad)
            checkComposition(insert.composition, f + ".composition", p, bad)
        }
        if p.calibration != .none, !p.inserts.contains(where: { $0.role == .rod }) { bad("inserts", "a calibration phantom needs rods") }
        if let l = p.layout { checkLayout(l, bad) }
        if let a = p.anatomy {
            for (field, problem) in a.problems(knownMaterials: Set(materials.keys)) { bad("anatomy." + field, problem) }
        }
        if let g = p.gates {
            if g.slope.count != 2 || !g.slope.allSatisfy(\.isFinite) || g.slope[0] >= g.slope[1] { bad("gates.slope", "needs [min, max], min < max") }
            if g.intercept.count != 2 || !g.intercept.allSatisfy({ $0.isFinite && $0 >= 0 }) || g.intercept[0] > g.intercept[1] {
                bad("gates.intercept", "needs [warn, fail] limits on |intercept|, 0 ≤ warn ≤ fail")
            }
        }
        if problems.isEmpty {
            phantoms[p.id] = p
            origin["phantom:" + p.id] = file
        } else {
            errors += problems
        }
    }

    func checkLayout(_ l: RodLayout, _ bad: (String, String) -> Void) {
        func range(_ v: [Double]?, _ name: String) {
            guard let v else { return bad("layout." + name, "needs [min, max] (mm)") }
            if v.count != 2 || !v.allSatisfy({ $0.isFinite && $0 > 0 }) || v[0] > v[1] { bad("layout." + name, "needs [min, max] (mm), 0 < min ≤ max") }
        }
        range(l.rodDiameterMM, "rodDiameterMM")
        if l.arrangement == .line { range(l.spacingMM, "spacingMM") }
        if l.arrangement == .ring { range(l.ringRadiusMM, "ringRadiusMM") }
        if !(l.maxSpanMM > 0) { bad("layout.maxSpanMM", "must be positive (mm)") }
        if !(l.toleranceMM > 0) { bad("layout.toleranceMM", "must be positive (mm)") }
        if !(l.minLengthMM > 0) { bad("layout.minLengthMM", "must be positive (mm)") }
    }

    func checkShape(_ s: Shape, _ field: String, _ bad: (String, String) -> Void) {
        func positive(_ v: [Double]?, _ n: Int, _ name: String) {
            guard let v, v.count == n, v.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                return bad(field + "." + name, "needs \(n) positive numbers (mm)")
            }
        }
        switch s.kind {
        case .box:
            if s.center.count != 3 { bad(field + ".center", "needs [x, y, z] (mm)") }
            positive(s.size, 3, "size")
        case .ellipticCylinder, .cylinder:
            if s.center.count != 2 { bad(field + ".center", "needs [x, y] (mm)") }
            if s.kind == .cylinder { positive(s.radius.map { [$0] }, 1, "radius") } else { positive(s.semiAxes, 2, "semiAxes") }
            if s.z?.count != 2 || s.z?[0] == s.z?[1] { bad(field + ".z", "needs [from, to] (mm), distinct") }
        }
    }

    func checkComposition(_ c: Composition, _ field: String, _ p: PhantomDefinition, _ bad: (String, String) -> Void) {
        let forms = [c.material != nil, c.parts != nil].filter { $0 }.count
        if forms != 1 { return bad(field, "give either material or parts") }
        if let m = c.material, materials[m] == nil { bad(field + ".material", "unknown material \"\(m)\"") }
        if let m = c.matrix, materials[m] == nil { bad(field + ".matrix", "unknown material \"\(m)\"") }
        for (i, part) in (c.parts ?? []).enumerated() {
            if materials[part.material] == nil { bad(field + ".parts[\(i)].material", "unknown material \"\(part.material)\"") }
            if case .certificate(let q) = part.mgPerCm3, !p.certificateQuantities.contains(q) {
                bad(field + ".parts[\(i)].mgPerCm3", "certificate quantity \"\(q)\" is not in certificateQuantities")
            }
        }
    }

    mutating func addCertificate(_ c: Certificate, file: String) {
        guard let p = phantoms[c.phantom] else {
            errors.append(PhantomError(file: file, field: "phantom", problem: "unknown phantom \"\(c.phantom)\""))
            return
        }
        var problems: [PhantomError] = []
        if c.serial.isEmpty { problems.append(PhantomError(file: file, field: "serial", problem: "empty")) }
        for insert in p.inserts {
            let refs = (insert.composition.parts ?? []).compactMap { part -> String? in
                if case .certificate(let q) = part.mgPerCm3 { return q } else { return nil }
            }
            for q in refs {
                guard let v = c.values[insert.name]?[q] else {
                    problems.append(PhantomError(file: file, field: "values.\(insert.name).\(q)", problem: "missing"))
                    continue
                }
                if !v.isFinite { problems.append(PhantomError(file: file, field: "values.\(insert.name).\(q)", problem: "not a number")) }
            }
        }
        for name in c.values.keys where !p.inserts.contains(where: { $0.name == name }) {
            problems.append(PhantomError(file: file, field: "values.\(name)", problem: "no insert \"\(name)\" in phantom \(p.id)"))
        }
        let key = "certificate:\(c.phantom):\(c.serial)"
        if let other = origin[key], Self.folder(other) == Self.folder(file) {
            problems.append(PhantomError(file: file, field: "serial", problem: "\(c.phantom) serial \(c.serial) already loaded from \(other)"))
        }
        if problems.isEmpty {
            // A later folder's certificate replaces an earlier one with the same serial.
            certificates.removeAll { $0.phantom == c.phantom && $0.serial == c.serial }
            certificates.append(c)
            origin["certificate:\(c.phantom):\(c.serial)"] = file
        } else {
            errors += problems
        }
    }

    // MARK: - Materials of inserts

    /// The attenuating mixture of a composition, with certified values filled in.
    public func resolve(_ c: Composition, insert: String, certificate: Certificate?) throws(PhysicsError) -> MixtureSpec {
        if let name = c.material {
            guard let m = materials[name] else { throw PhysicsError("unknown material \(name)") }
            return MixtureSpec(name: name, parts: [.init(material: m, mgPerCm3: m.density * 1000)])
        }
        var parts: [MixtureSpec.Part] = []
        var displaced = 0.0
        for part in c.parts ?? [] {
            guard let m = materials[part.material] else { throw PhysicsError("unknown material \(part.material)") }
            let amount: Double
            switch part.mgPerCm3 {
            case .value(let v): amount = v
            case .certificate(let q):
                guard let v = certificate?.value(insert: insert, quantity: q) else {
                    throw PhysicsError("no certified \(q) for insert \(insert)")
                }
                amount = v
            }
            parts.append(.init(material: m, mgPerCm3: amount))
            displaced += amount / (m.density * 1000)
        }
        if let matrixName = c.matrix {
            guard let matrix = materials[matrixName] else { throw PhysicsError("unknown material \(matrixName)") }
            parts.append(.init(material: matrix, mgPerCm3: matrix.density * 1000 * (1 - displaced)))
        }
        let name = parts.map { "\($0.material.name) \($0.mgPerCm3) mg/cm³" }.joined(separator: " + ")
        return MixtureSpec(name: name, parts: parts)
    }
}
