import ArgumentParser
import Foundation
import QCTCalibration
import QCTPhantoms
import QCTWorkflows

/// Options of ESP measurement, shared by measure, precision and compare.
struct MeasureOptions: ParsableArguments {
    @Option(help: "Spine phantom id.") var phantom: String = "esp"
    @Option(help: "Spine phantom certificate serial (default: the phantom's first certificate).") var serial: String?
    @OptionGroup var phantomOptions: PhantomOptions

    @Option(help: "Apply this saved calibration (qct calibrate --save) instead of the same-scan one.") var calibration: String?
    @Flag(name: .customLong("allow-mismatch"), help: "Apply a saved calibration even when it does not match the series (recorded in the result).")
    var allowMismatch = false
    @Option(name: .customLong("max-age"), help: "Oldest saved calibration accepted, days.") var maxAge: Double = 7
    @Option(name: .customLong("calibration-phantom"), help: "Calibration phantom in the scan (same-scan calibration).")
    var calibrationPhantom: String = "mindways-model3-ct"
    @Option(name: .customLong("calibration-serial"), help: "Its certificate serial (default: its first certificate).")
    var calibrationSerial: String?

    @Option(name: .customLong("calibration-along-z"),
            help: "Calibrate in slabs of this many mm along z and convert each vertebra with the calibration at its z.")
    var calibrationAlongZ: Double?

    @Option(help: "Mid-vertebral slab measured, mm (slices wholly inside it, off the endplates).") var slab: Double = VertebraSearchSettings().slabMM
    @Option(help: "Distance the trabecular ROI keeps from the inner surface of the cortical shell, mm.")
    var erosion: Double = VertebraSearchSettings().erosionMM

    func validate() throws {
        guard slab > 0 else { throw ValidationError("--slab must be positive (mm)") }
        guard erosion >= 0, erosion <= 10 else { throw ValidationError("--erosion must be between 0 and 10 (mm)") }
        guard maxAge >= 0 else { throw ValidationError("--max-age must not be negative (days)") }
        if let z = calibrationAlongZ, z <= 0 { throw ValidationError("--calibration-along-z must be positive (mm)") }
    }

    var settings: VertebraSearchSettings {
        var s = VertebraSearchSettings()
        s.slabMM = slab
        s.erosionMM = erosion
        return s
    }
}

extension MeasureOptions {
    /// The measurement these options describe: catalog loaded, spine phantom and certificate checked,
    /// a saved calibration read. Refused phantom files are printed; a failure is one line and exit 2.
    func measurement() throws -> SpineMeasurement {
        try Console.run {
            let catalog = try PhantomCatalog.load(directories: phantomOptions.directories, certificates: phantomOptions.certificates,
                                                  report: Console.report)
            var o = SpineMeasurementOptions()
            o.phantom = phantom
            o.serial = serial
            o.calibrationPhantom = calibrationPhantom
            o.calibrationSerial = calibrationSerial
            o.calibrationAlongZ = calibrationAlongZ
            o.settings = settings
            let measurement = try SpineMeasurement(o, catalog: catalog)
            if let calibration {
                o.source = .saved(try SavedCalibration(path: calibration, allowMismatch: allowMismatch, maximumAgeDays: maxAge,
                                                       needsAlongZ: calibrationAlongZ != nil))
                return try SpineMeasurement(o, catalog: catalog)
            }
            return measurement
        }
    }
}
