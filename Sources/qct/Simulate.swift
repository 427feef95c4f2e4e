import ArgumentParser
import Foundation
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
    @Argument(help: "Scene name.") var scene: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Random seed (noise, UIDs, repositioning).") var seed: UInt64 = 1
    @Option(help: "Scanner profile id (QCT1, QCT2, QCT3, …).") var scanner: String = "QCT1"
    @OptionGroup var phantomOptions: PhantomOptions
    @Option(help: "Certificate serial to use, as PHANTOM=SERIAL (repeatable).") var serial: [String] = []
    @Option(help: "Manufacturer (overrides the profile).") var manufacturer: String?
    @Option(help: "Model name (overrides the profile).") var model: String?
    @Option(help: "Station name (overrides the profile).") var station: String?
    @Option(help: "Device serial number (overrides the profile).") var deviceSerial: String?
    @Option(help: "Tube voltage, kV; the effective energy scales as (kV / profile kV)^0.6.") var kvp: Double?
    @Option(help: "Effective energy, keV (overrides the profile and --kvp).") var energy: Double?
    @Option(help: "Kernel name (overrides the profile).") var kernel: String?
    @Option(name: .customLong("mas"), help: "Tube current-time product, mAs; noise scales as 1/√mAs.") var mAs: Double?
    @Option(help: "Matrix size (rows = columns).") var matrix: Int = 512
    @Option(help: "Pixel spacing, mm (default: FOV / matrix).") var pixelSpacing: Double?
    @Option(help: "Reconstruction diameter (field of view), mm (overrides the profile).") var fov: Double?
    @Option(help: "Number of slices.") var slices: Int = 120
    @Option(help: "Slice thickness, mm.") var thickness: Double = 1
    @Option(help: "Distance between slice centres, mm.") var spacing: Double = 1
    @Option(parsing: .unconditional, help: "Patient z of the middle slice, mm.") var zCenter: Double = 0
    @Option(parsing: .unconditional, help: "Scene translation x,y,z, mm.") var translate: String = "0,0,0"
    @Option(parsing: .unconditional, help: "Scene rotation about the patient z axis, degrees.") var rotate: Double = 0
    @Option(help: "Noise SD after the kernel, HU (default: the profile's, scaled by mAs).") var noise: Double?
    @Option(help: "In-plane blur FWHM, mm (default: the profile's).") var blur: Double?
    @Option(help: "Sub-samples per pixel edge at boundaries (partial volume).") var supersample: Int = 4
    @Option(help: "CT-number gain (overrides the profile's): HU × gain + offset.") var gain: Double?
    @Option(parsing: .unconditional, help: "CT-number offset, HU (overrides the profile's).") var offset: Double?
    @Option(help: "Scale one insert's CT number, as INSERT=FACTOR (repeatable; e.g. a rod whose response drifts).") var insertScale: [String] = []
    @Option(parsing: .unconditional, help: "CT-number gain change along z, % per 100 mm (HU × (1 + g·z)).") var gainGradient: Double = 0
    @Option(help: "Acquisition date and time, YYYYMMDDHHMMSS.") var acquired: String = "20260101080000"
    @Option(help: "Number of scans.") var `repeat`: Int = 1
    @Option(help: "Patient ID written (default: PHANTOM, or SIM-<seed> for a patient scene).") var patientID: String?
    @Option(help: "A simulated patient's trabecular density, as VERTEBRA=MG (mg K2HPO4/cm³; repeatable, e.g. L1=34).") var bone: [String] = []
    @Flag(help: "Draw the set-up from the seed: rod diameter, spacing and order, pad size, phantom rotation ±10°, a couch, a patient on a lone pad, an offset up to the field-of-view edge (recorded in truth.json).") var vary = false
    @Flag(help: "Shift and rotate the scene a little between repeated scans (±5 mm x/y, ±3 mm z, ±3°).") var reposition = false
    @Flag(help: "Vary the CT numbers from scan to scan as the scanner profile's repeatVariation says (gain, offset, gradients, cupping, beam hardening; Docs/simulator.md).") var dayVariation = false

    func validate() throws {
        try reject(SimulationBatch.problems(matrix: matrix, slices: slices, thicknessMM: thickness, spacingMM: spacing, count: `repeat`))
        guard SimulationBatch.triple(translate) != nil else { throw ValidationError("--translate needs x,y,z in mm, e.g. 10,-5,0") }
        guard acquired.count == 14, acquired.allSatisfy(\.isNumber) else { throw ValidationError("--acquired needs YYYYMMDDHHMMSS") }
        guard SimulationBatch.assignments(serial) != nil else { throw ValidationError("--serial needs PHANTOM=SERIAL, got \(serial)") }
        guard SimulationBatch.assignments(insertScale)?.values.allSatisfy({ Double($0) != nil }) == true else { throw ValidationError("--insert-scale needs INSERT=FACTOR, got \(insertScale)") }
        guard SimulationBatch.assignments(bone)?.values.allSatisfy({ Double($0).map { $0 >= 0 && $0 < 1500 } ?? false }) == true else {
            throw ValidationError("--bone needs VERTEBRA=MG with 0 ≤ MG < 1500, got \(bone)")
        }
    }

    func run() throws {
        let catalog = try phantomOptions.load()
        let base = try Console.run { try SimulationBatch.profile(scanner, in: catalog) }
        var changes = ProfileOverrides()
        (changes.kvp, changes.energyKeV, changes.fovMM, changes.gain, changes.offset, changes.mAs, changes.noiseSDHU) = (kvp, energy, fov, gain, offset, mAs, noise)
        (changes.manufacturer, changes.model, changes.station, changes.deviceSerial, changes.kernel) = (manufacturer, model, station, deviceSerial, kernel)
        let (profile, noiseSD) = changes.apply(to: base)
        var request = SimulationRequest(scene: scene, profile: profile)
        request.serials = SimulationBatch.assignments(serial) ?? [:]
        (request.vary, request.matrix, request.pixelSpacingMM, request.slices) = (vary, matrix, pixelSpacing, slices)
        (request.sliceThicknessMM, request.sliceSpacingMM, request.zCenterMM) = (thickness, spacing, zCenter)
        (request.noiseSDHU, request.blurFWHMmm, request.supersampling) = (noiseSD, blur, supersample)
        request.gainGradientPerMM = gainGradient / 100 / 100
        request.insertScale = (SimulationBatch.assignments(insertScale) ?? [:]).compactMapValues(Double.init)
        request.acquisitionDate = String(acquired.prefix(8))
        request.patientID = patientID
        request.trabecularK2HPO4 = (SimulationBatch.assignments(bone) ?? [:]).compactMapValues(Double.init)
        var batch = SimulationBatch(request: request, seed: seed)
        (batch.count, batch.reposition, batch.dayVariation) = (`repeat`, reposition, dayVariation)
        (batch.firstTime, batch.translationMM, batch.rotationDegrees) = (String(acquired.suffix(6)), SimulationBatch.triple(translate) ?? [0, 0, 0], rotate)
        try Console.run {
            try batch.run(catalog: catalog, out: out) { dir, truth in
                SimulationBatch.summary(dir, truth, profile: profile).forEach { print($0) }
            }
        }
    }
}
