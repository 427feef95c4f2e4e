import Foundation
import QCTPhantoms
import QCTSimulator

/// Changes to a scanner profile for one simulation: identity, protocol and CT-number response.
/// kV moves the effective energy as (kV / profile kV)^0.6; mAs moves the noise SD as 1/√mAs
/// (quantum noise), unless the noise is given.
public struct ProfileOverrides: Sendable {
    public var kvp, energyKeV, fovMM, gain, offset, mAs, noiseSDHU: Double?
    public var manufacturer, model, station, deviceSerial, kernel: String?
    public init() {}

    /// The profile with these changes, and the noise SD to simulate (nil: the profile's).
    public func apply(to p: ScannerProfile) -> (ScannerProfile, noiseSDHU: Double?) {
        var profile = p
        if let kvp {
            profile.effectiveEnergyKeV *= Foundation.pow(kvp / profile.kvp, 0.6)
            profile.kvp = kvp
        }
        if let energyKeV { profile.effectiveEnergyKeV = energyKeV }
        if let manufacturer { profile.manufacturer = manufacturer }
        if let model { profile.model = model }
        if let station { profile.stationName = station }
        if let deviceSerial { profile.deviceSerialNumber = deviceSerial }
        if let kernel { profile.kernel = kernel }
        if let fovMM { profile.reconstructionDiameterMM = fovMM }
        if let gain { profile.huGain = gain }
        if let offset { profile.huOffset = offset }
        var noise = noiseSDHU
        if let mAs {
            if noise == nil { noise = profile.noiseSDHU * (profile.mAs / mAs).squareRoot() }
            profile.mAs = mAs
        }
        return (profile, noise)
    }
}

/// One or more simulated scans of a scene: repeats 5 minutes apart, each with its own seed and,
/// with `reposition`, a small random set-up change (±5 mm x/y, ±3 mm z, ±3°); with
/// `dayVariation`, the profile's scan-to-scan CT-number variation drawn per scan.
public struct SimulationBatch: Sendable {
    public var request: SimulationRequest
    public var seed: UInt64
    public var count = 1
    public var reposition = false
    public var dayVariation = false
    /// Acquisition time of the first scan, HHMMSS.
    public var firstTime = "080000"
    public var translationMM: [Double] = [0, 0, 0]
    public var rotationDegrees = 0.0

    public init(request: SimulationRequest, seed: UInt64) {
        self.request = request
        self.seed = seed
    }

    /// Settings out of range: matrix 16…2048, 1…2000 slices, positive thickness and spacing, at least one scan.
    public static func problems(matrix: Int, slices: Int, thicknessMM: Double, spacingMM: Double, count: Int) -> [SettingProblem] {
        SettingProblem.collect([
            ((16...2048).contains(matrix), "matrix", "must be 16…2048"), ((1...2000).contains(slices), "slices", "must be 1…2000"),
            (thicknessMM > 0, "thickness", "must be positive (mm)"), (spacingMM > 0, "spacing", "must be positive (mm)"),
            (count >= 1, "repeat", "must be at least 1"),
        ])
    }

    /// The scanner profile `id` of the catalog, or a failure listing the known ones.
    public static func profile(_ id: String, in catalog: PhantomCatalog) throws(WorkflowFailure) -> ScannerProfile {
        guard let p = catalog.scanners[id] else {
            throw WorkflowFailure("unknown scanner profile \"\(id)\"; known: \(catalog.scanners.keys.sorted().joined(separator: ", "))")
        }
        return p
    }

    /// The folder of scan `r` (0-based): `out` itself for a single scan, else `out/scan-001` ….
    public func directory(_ out: String, scan r: Int) -> String {
        count == 1 ? out : (out as NSString).appendingPathComponent(String(format: "scan-%03d", r + 1))
    }

    /// The request of scan `r`.
    public func request(scan r: Int) throws(WorkflowFailure) -> SimulationRequest {
        var req = request
        req.seed = seed &+ UInt64(r) &* 7919
        req.seriesNumber = r + 1
        req.acquisitionTime = Self.addMinutes(firstTime, 5 * r)
        req.translationMM = translationMM
        req.rotationDegrees = rotationDegrees
        if reposition, count > 1 {
            var rng = SimulationRandom(seed: req.seed)
            req.translationMM = [translationMM[0] + rng.uniform(-5, 5), translationMM[1] + rng.uniform(-5, 5), translationMM[2] + rng.uniform(-3, 3)]
            req.rotationDegrees = rotationDegrees + rng.uniform(-3, 3)
        }
        if dayVariation {
            guard let spread = request.profile.repeatVariation else {
                throw WorkflowFailure("scanner profile \(request.profile.id) has no repeatVariation for --day-variation")
            }
            req.dayVariation = spread.draw(seed: req.seed)
        }
        return req
    }

    /// Writes every scan under `out`; `written` sees each folder and its truth as it is written.
    public func run(catalog: PhantomCatalog, out: String, written: (String, SimulationTruth) -> Void) throws {
        for r in 0..<count {
            let req = try request(scan: r)
            let dir = directory(out, scan: r)
            do { written(dir, try Simulator.run(req, catalog: catalog, directory: dir)) } catch {
                throw WorkflowFailure(path: dir, "\(error)")
            }
        }
    }

    /// The lines announcing a scan written: geometry, energy, true calibration, and each vertebra's
    /// true density and expected reading.
    public static func summary(_ dir: String, _ truth: SimulationTruth, profile: ScannerProfile) -> [String] {
        let g = truth.geometry
        var cal = ""
        if let c = truth.calibration, let sigma = c.sigmaCT {
            cal = String(format: ", true calibration σ_CT %.4f HU per mg/cm³, β_CT %.2f HU", sigma, c.betaCT ?? 0)
        }
        var lines = ["wrote \(dir): \(g.slices) slices \(g.columns)x\(g.rows), "
                     + String(format: "%.3f mm pixels, %@ %.1f keV", g.pixelSpacingMM, profile.id, profile.effectiveEnergyKeV) + cal]
        for v in truth.vertebrae {
            let expected = v.expectedBMD.map { String(format: "%.2f mg K2HPO4/cm³", $0) } ?? "-"
            let density = v.trueHA.map { String(format: "%.1f mg HA/cm³", $0) } ?? v.trueK2HPO4.map { String(format: "%.1f mg K2HPO4/cm³", $0) } ?? "-"
            lines.append(String(format: "  %@: %@ → true %.1f HU, expected reading %@", v.name, density, v.trueHU, expected))
        }
        return lines
    }

    /// Three numbers written "x,y,z" (a translation in mm), or nil.
    public static func triple(_ text: String) -> [Double]? {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    /// `NAME=VALUE` arguments as a dictionary (a later name wins), or nil when one is malformed.
    public static func assignments(_ items: [String]) -> [String: String]? {
        var out: [String: String] = [:]
        for item in items {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else { return nil }
            out[kv[0]] = kv[1]
        }
        return out
    }

    /// HHMMSS plus minutes, wrapping at midnight.
    public static func addMinutes(_ hhmmss: String, _ minutes: Int) -> String {
        let digits = Array(hhmmss)
        let h = Int(String(digits[0..<2])) ?? 0, m = Int(String(digits[2..<4])) ?? 0, s = Int(String(digits[4..<6])) ?? 0
        let total = (h * 60 + m + minutes) % (24 * 60)
        return String(format: "%02d%02d%02d", total / 60, total % 60, s)
    }
}
