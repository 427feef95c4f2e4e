import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport

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

/// Why a series was not measured (a saved calibration that does not apply, an unreadable file).
struct MeasureRefusal: Error, CustomStringConvertible {
    var description: String
}

/// Measures ESP series with one set of options: calibration (same scan or
/// saved, checked), vertebrae, checks and provenance.
struct SpinePipeline {
    let options: MeasureOptions
    let catalog: PhantomCatalog
    let definition: PhantomDefinition
    let certificate: Certificate?
    let saved: CalibrationReport?

    /// Loads the catalog and the saved calibration; prints the reason and exits 2 when they are unusable.
    init(_ options: MeasureOptions) throws {
        self.options = options
        catalog = try options.phantomOptions.load()
        guard let d = catalog.phantoms[options.phantom], d.inserts.contains(where: { $0.role == .vertebra }) else {
            let spines = catalog.phantoms.values.filter { $0.inserts.contains { $0.role == .vertebra } }.map(\.id).sorted()
            printError("\"\(options.phantom)\" is not a spine phantom; known: \(spines.joined(separator: ", "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        definition = d
        certificate = catalog.certificate(for: options.phantom, serial: options.serial)
        if let serial = options.serial, certificate == nil {
            printError("no certificate with serial \(serial) for \(options.phantom)")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if let path = options.calibration {
            saved = try readJSON(CalibrationReport.self, at: path, what: "a saved calibration (qct calibrate --save)")
            if saved?.fit == nil {
                printError("\(path): the saved calibration has no fit")
                throw ExitCode(ReadExit.nothingUsable)
            }
            if options.calibrationAlongZ != nil, saved?.alongZ?.isEmpty ?? true {
                printError("\(path): the saved calibration has no fits along z (save it with qct calibrate --along-z)")
                throw ExitCode(ReadExit.nothingUsable)
            }
        } else {
            saved = nil
        }
    }

    /// The vertebrae in a volume, located with this pipeline's settings.
    func locate(_ volume: Volume) -> SpineSearch {
        VertebraLocator.locate(volume, phantom: definition, settings: options.settings)
    }

    /// `search`: the result of `locate` when the caller already has it.
    /// `refused`: files refused while reading the series' folder (named in a slice-gap check).
    func measure(_ volume: Volume, series info: Series, path: String, search: SpineSearch? = nil,
                 refused: [RejectedFile] = []) throws(MeasureRefusal) -> MeasurementReport {
        var extra: [CalibrationCheck] = []
        let used: CalibrationUsed?
        if let saved, let file = options.calibration {
            let mismatches = CalibrationValidity.mismatches(saved: saved, scanner: info.scanner, protocolUsed: info.acquisition,
                                                           maximumAgeDays: options.maxAge)
            if !mismatches.isEmpty && !options.allowMismatch {
                throw MeasureRefusal(description: "\(file): does not apply to \(path): " + mismatches.joined(separator: "; ") + " (--allow-mismatch overrides)")
            }
            used = CalibrationUsed(source: "saved", file: file, report: saved, mismatches: mismatches, allowMismatch: options.allowMismatch)
            if !mismatches.isEmpty {
                extra.append(CalibrationCheck(name: "asynchronous calibration", status: .warn,
                                              detail: "applied despite: " + mismatches.joined(separator: "; ")))
            }
        } else {
            used = sameScan(volume, info: info, checks: &extra)
        }
        if let u = used {
            let status = CalibrationCheck.Status(rawValue: u.status) ?? .fail
            let problems = u.checks.filter { $0.status != .pass }.map { "\($0.name): \($0.detail)" }
            extra.append(CalibrationCheck(name: "calibration", status: status,
                                          detail: "\(u.source) \(u.phantom) calibration: \(u.status)" +
                                              (problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")")))
        }
        let settings = options.settings
        let alongZ = options.calibrationAlongZ != nil ? used?.alongZ : nil
        let result = SpineMeasurer.measure(volume, phantom: definition, certificate: certificate, fit: used?.fit, alongZ: alongZ,
                                           sliceThicknessMM: info.sliceThicknessMM, settings: settings, search: search)
        // A gap in the slices: which vertebra's slab it cuts through, if any.
        extra += SliceGapCheck.checks(info, refused: refused) { gap in
            let hit = result.vertebrae.filter { v in
                guard let slab = v.roi?.slabMM, slab.count == 2 else { return false }
                return gap[0] < max(slab[0], slab[1]) && gap[1] > min(slab[0], slab[1])
            }.map(\.name)
            return hit.isEmpty ? nil : "inside the slab of " + hit.joined(separator: ", ")
        }
        return MeasurementReport(phantom: definition.id, certificate: certificate.map { "\($0.serial) (\($0.source))" }, result: result,
                                 calibration: used, extraChecks: extra, series: info, path: path, settings: settings)
    }

    /// The calibration phantom of the same scan; nil (with a failed check) when it cannot be fitted.
    func sameScan(_ volume: Volume, info: Series, checks: inout [CalibrationCheck]) -> CalibrationUsed? {
        guard let pad = catalog.phantoms[options.calibrationPhantom], pad.calibration != .none else {
            checks.append(CalibrationCheck(name: "calibration", status: .fail, detail: "\(options.calibrationPhantom) is not a calibration phantom"))
            return nil
        }
        let certificate = catalog.certificate(for: options.calibrationPhantom, serial: options.calibrationSerial)
        var settings = RodSearchSettings()
        settings.alongZSlabMM = options.calibrationAlongZ
        do {
            let result = try Calibrator.calibrate(volume, phantom: pad, certificate: certificate, settings: settings)
            return CalibrationUsed(source: "same scan", file: nil, report: CalibrationReport(result: result, series: info))
        } catch {
            checks.append(CalibrationCheck(name: "calibration", status: .fail, detail: "same-scan \(options.calibrationPhantom): \(error)"))
            return nil
        }
    }
}

/// A JSON file decoded as `type`; an unreadable or undecodable file gets one
/// line naming it and the reason, and exit 2.
func readJSON<T: Decodable>(_ type: T.Type, at path: String, what: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("\(path): cannot read file")
        throw ExitCode(ReadExit.nothingUsable)
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
        printError("\(path): not \(what): \(error)")
        throw ExitCode(ReadExit.nothingUsable)
    }
}
