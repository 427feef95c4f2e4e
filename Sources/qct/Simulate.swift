import ArgumentParser
import Foundation
import QCTReport
import QCTPhantoms
import QCTSimulator
import QCTWorkflows

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a simulated CT series of a phantom scene (DICOM, via DCMTK) and its truth.json.",
        discussion: """
            Scenes come from the phantom folder's scenes file (esp-on-pad, pad, qa, catphan, qrm-bdc-3, qrm-bdc-6). \
            CT numbers follow from each material's composition and density at the scanner profile's effective energy. \
            With --repeat N, scans go to OUT/scan-001 … with an independent seed each (and, with --reposition, a small \
            random shift and rotation each, as when a phantom is set up again).
            """)

    @Argument(help: "Scene name.")
    var scene: String

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Random seed (noise, UIDs, repositioning).")
    var seed: UInt64 = 1

    @Option(help: "Scanner profile id (QCT1, QCT2, QCT3, …).")
    var scanner: String = "QCT1"

    @OptionGroup var phantomOptions: PhantomOptions

    @Option(help: "Certificate serial to use, as PHANTOM=SERIAL (repeatable).")
    var serial: [String] = []

    @Option(help: "Manufacturer (overrides the profile).") var manufacturer: String?
    @Option(help: "Model name (overrides the profile).") var model: String?
    @Option(help: "Station name (overrides the profile).") var station: String?
    @Option(name: .customLong("device-serial"), help: "Device serial number (overrides the profile).") var deviceSerial: String?
    @Option(help: "Tube voltage, kV; the effective energy scales as (kV / profile kV)^0.6.") var kvp: Double?
    @Option(help: "Effective energy, keV (overrides the profile and --kvp).") var energy: Double?
    @Option(help: "Kernel name (overrides the profile).") var kernel: String?
    @Option(name: .customLong("mas"), help: "Tube current-time product, mAs; noise scales as 1/√mAs.") var mAs: Double?

    @Option(help: "Matrix size (rows = columns).") var matrix: Int = 512
    @Option(name: .customLong("pixel-spacing"), help: "Pixel spacing, mm (default: FOV / matrix).") var pixelSpacing: Double?
    @Option(help: "Reconstruction diameter (field of view), mm (overrides the profile).") var fov: Double?
    @Option(help: "Number of slices.") var slices: Int = 120
    @Option(help: "Slice thickness, mm.") var thickness: Double = 1
    @Option(help: "Distance between slice centres, mm.") var spacing: Double = 1
    @Option(name: .customLong("z-center"), parsing: .unconditional, help: "Patient z of the middle slice, mm.") var zCenter: Double = 0
    @Option(parsing: .unconditional, help: "Scene translation x,y,z, mm.") var translate: String = "0,0,0"
    @Option(parsing: .unconditional, help: "Scene rotation about the patient z axis, degrees.") var rotate: Double = 0
    @Option(help: "Noise SD after the kernel, HU (default: the profile's, scaled by mAs).") var noise: Double?
    @Option(help: "In-plane blur FWHM, mm (default: the profile's).") var blur: Double?
    @Option(help: "Sub-samples per pixel edge at boundaries (partial volume).") var supersample: Int = 4
    @Option(help: "CT-number gain (overrides the profile's): HU × gain + offset.") var gain: Double?
    @Option(parsing: .unconditional, help: "CT-number offset, HU (overrides the profile's).") var offset: Double?
    @Option(name: .customLong("insert-scale"), help: "Scale one insert's CT number, as INSERT=FACTOR (repeatable; e.g. a rod whose response drifts).")
    var insertScale: [String] = []
    @Option(name: .customLong("gain-gradient"), parsing: .unconditional, help: "CT-number gain change along z, % per 100 mm (HU × (1 + g·z)).")
    var gainGradient: Double = 0
    @Option(help: "Acquisition date and time, YYYYMMDDHHMMSS.") var acquired: String = "20260101080000"
    @Option(help: "Number of scans.") var `repeat`: Int = 1
    @Flag(help: "Draw the set-up from the seed: rod diameter, spacing and order, pad size, phantom rotation ±10°, a couch, a patient on a lone pad, an offset up to the field-of-view edge (recorded in truth.json).")
    var vary = false
    @Flag(help: "Shift and rotate the scene a little between repeated scans (±5 mm x/y, ±3 mm z, ±3°).") var reposition = false
    @Flag(name: .customLong("day-variation"),
          help: "Vary the CT numbers from scan to scan as the scanner profile's repeatVariation says (gain, offset, gradients, cupping, beam hardening; Docs/simulator.md).")
    var dayVariation = false

    func validate() throws {
        guard matrix >= 16, matrix <= 2048 else { throw ValidationError("--matrix must be 16…2048") }
        guard slices >= 1, slices <= 2000 else { throw ValidationError("--slices must be 1…2000") }
        guard thickness > 0, spacing > 0 else { throw ValidationError("--thickness and --spacing must be positive (mm)") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard translation != nil else { throw ValidationError("--translate needs x,y,z in mm, e.g. 10,-5,0") }
        guard acquired.count == 14, acquired.allSatisfy(\.isNumber) else { throw ValidationError("--acquired needs YYYYMMDDHHMMSS") }
        for s in serial where !s.contains("=") { throw ValidationError("--serial needs PHANTOM=SERIAL, got \(s)") }
        for s in insertScale where s.split(separator: "=").count != 2 || Double(s.split(separator: "=")[1]) == nil {
            throw ValidationError("--insert-scale needs INSERT=FACTOR, got \(s)")
        }
    }

    var translation: [Double]? {
        let parts = translate.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let catalog = try phantomOptions.load()
        guard let base = catalog.scanners[scanner] else {
            printError("unknown scanner profile \"\(scanner)\"; known: \(catalog.scanners.keys.sorted().joined(separator: ", "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        var changes = ProfileOverrides()
        (changes.kvp, changes.energyKeV, changes.fovMM, changes.gain, changes.offset, changes.mAs, changes.noiseSDHU) = (kvp, energy, fov, gain, offset, mAs, noise)
        (changes.manufacturer, changes.model, changes.station, changes.deviceSerial, changes.kernel) = (manufacturer, model, station, deviceSerial, kernel)
        let (profile, noiseSD) = changes.apply(to: base)
        var request = SimulationRequest(scene: scene, profile: profile)
        request.serials = Dictionary(serial.map { s in
            let kv = s.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv[1])
        }, uniquingKeysWith: { _, b in b })
        request.vary = vary
        request.matrix = matrix
        request.pixelSpacingMM = pixelSpacing
        request.slices = slices
        request.sliceThicknessMM = thickness
        request.sliceSpacingMM = spacing
        request.zCenterMM = zCenter
        request.noiseSDHU = noiseSD
        request.blurFWHMmm = blur
        request.supersampling = supersample
        request.gainGradientPerMM = gainGradient / 100 / 100
        request.insertScale = Dictionary(insertScale.map { s in
            let kv = s.split(separator: "=", maxSplits: 1)
            return (String(kv[0]), Double(kv[1]) ?? 1)
        }, uniquingKeysWith: { _, b in b })
        request.acquisitionDate = String(acquired.prefix(8))
        var batch = SimulationBatch(request: request, seed: seed)
        batch.count = `repeat`
        batch.reposition = reposition
        batch.dayVariation = dayVariation
        batch.firstTime = String(acquired.suffix(6))
        batch.translationMM = translation ?? [0, 0, 0]
        batch.rotationDegrees = rotate
        try Console.run {
            try batch.run(catalog: catalog, out: out) { dir, truth in
                let cal = truth.calibration.map { c in
                    c.sigmaCT.map { String(format: ", true calibration σ_CT %.4f HU per mg/cm³, β_CT %.2f HU", $0, c.betaCT ?? 0) } ?? ""
                } ?? ""
                print("wrote \(dir): \(truth.geometry.slices) slices \(truth.geometry.columns)x\(truth.geometry.rows), " +
                      String(format: "%.3f mm pixels, %@ %.1f keV", truth.geometry.pixelSpacingMM, profile.id, profile.effectiveEnergyKeV) + cal)
                for v in truth.vertebrae {
                    print(String(format: "  %@: %.1f mg HA/cm³ → true %.1f HU, expected reading %@", v.name, v.trueHA, v.trueHU,
                                 v.expectedBMD.map { String(format: "%.2f mg K2HPO4/cm³", $0) } ?? "-"))
                }
            }
        }
    }
}
