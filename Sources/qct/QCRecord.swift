import ArgumentParser
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTReport
import QCTStatistics
import QCTStorage

struct QCRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Analyse daily phantom scans and store every metric with its judgement.",
        discussion: """
            Recognises what each series holds (an ESP on a calibration pad, or a calibration/QA phantom alone), runs \
            calibration and measurement, and stores σ_CT, β_CT, R², each rod's HU and each vertebra's BMD with the scanner, \
            protocol, acquisition time, analysis version, certificate, and the baseline and limits in force. The first \
            --baseline-size scans of a scanner, protocol and phantom form its baseline. A series already stored is reported, \
            not stored again. Exit status: 0 in control (or baseline), 3 warning, 4 out of control, 2 nothing usable.
            """)

    @Argument(help: "Folders or files of CT series.") var inputs: [String]
    @OptionGroup var database: DatabaseOption
    @Option(name: .customLong("baseline-size"), help: "Scans forming a new baseline.") var baselineSize: Int = 15
    @Option(name: .customLong("cusum-h"), help: "CUSUM decision interval h, in baseline SDs (k = 0.5 SD).") var cusumH: Double = 5
    @OptionGroup var measure: MeasureOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Flag(help: "Print JSON (one object per series).") var json = false

    func validate() throws {
        guard baselineSize >= 3 else { throw ValidationError("--baseline-size must be at least 3") }
        guard cusumH > 0 else { throw ValidationError("--cusum-h must be positive") }
    }

    func run() throws {
        let store = try database.open()
        let pipeline = try SpinePipeline(measure)
        let headers = SeriesReader.read(paths: inputs, decodePixels: false)
        for r in headers.rejected { printError("refused: \(r.path): \(r.reason)") }
        var worst: ControlState?
        var used = 0
        var inputWarnings: [String] = []
        // Oldest first, so each day is judged against the days before it.
        let ordered = headers.series.sorted {
            ($0.acquisition.acquisitionDateTime ?? "", $0.seriesInstanceUID) < ($1.acquisition.acquisitionDateTime ?? "", $1.seriesInstanceUID)
        }
        let chosen = ordered.filter { seriesChoice.matches($0) }
        if let uid = seriesChoice.uid, chosen.count != 1 {
            printError(chosen.isEmpty ? "no series \(uid) in \(inputs.joined(separator: " "))"
                                      : "--series \(uid) names \(chosen.count) series; give more of the UID")
            throw ExitCode(ReadExit.nothingUsable)
        }
        let progress = BatchProgress(total: chosen.count, verb: "recorded")
        let interruption = onInterrupt(progress)
        defer { interruption.forEach { $0.cancel() } }
        for s in chosen {
            let folder = StudyInputs.commonFolder(s.filePaths)
            guard isCT(s) else {
                printError("refused: " + notCT(s, path: folder))
                continue
            }
            let read = SeriesReader.read(paths: s.filePaths)
            guard let (_, info, volume) = read.largestSeries() else {
                printError("refused: \(folder): series could not be loaded")
                continue
            }
            guard let input = analyse(volume, info: info, folder: folder, pipeline: pipeline, refused: headers.rejected,
                                      warnings: &inputWarnings) else { continue }
            // Stored and announced together: an interruption comes before or after, never between.
            try progress.storing {
                let outcome = try storeCall { () throws(QCStoreError) in try store.record(input, baselineSize: baselineSize, cusumH: cusumH) }
                used += 1
                switch outcome {
                case .duplicate(let recordedAt, let scanner, let acquired):
                    printNow("already recorded: \(folder) (\(scanner), acquired \(acquired), series \(info.seriesInstanceUID)) on \(recordedAt); not stored again")
                case .stored(let r):
                    worst = max(worst ?? .baseline, r.state)
                    progress.step()
                    if json { printNow(try jsonString(r)) } else { printNow(line(r, folder: folder)) }
                }
            }
        }
        guard used > 0 else {
            printError("nothing recorded: no usable series in \(inputs.joined(separator: " "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        for w in inputWarnings { printError("warning: " + w) }
        // A result stored from incomplete input warns (3) even when it is in control.
        let code = max(exitStatus(worst?.rawValue), inputWarnings.isEmpty ? 0 : 3)
        if code != 0 { throw ExitCode(code) }
    }

    func line(_ r: QCStoredResult, folder: String) -> String {
        var s = "recorded \(folder): \(r.scanner) \(r.kind) (\(r.protocolKey)) acquired \(r.acquired): "
        if let p = r.baselineProgress { s += "baseline \(p[0]) of \(p[1])" } else { s += r.state.rawValue }
        if !r.fired.isEmpty { s += " — " + r.fired.joined(separator: "; ") }
        return s
    }

    /// Recognises the phantom(s), analyses, and turns the result into metrics; nil (with a line) when nothing fits.
    /// `refused`: files refused while reading; a gap they leave in the series is a WARN check in the stored analysis,
    /// and `warnings` gets its line.
    func analyse(_ volume: Volume, info: Series, folder: String, pipeline: SpinePipeline, refused: [RejectedFile] = [],
                 warnings: inout [String]) -> QCResultInput? {
        guard let acquired = DicomDateTime.iso(info.acquisition.acquisitionDateTime) else {
            printError("refused: \(folder): no acquisition date and time in the series; a QC result needs one")
            return nil
        }
        let scanner = QCScanner(manufacturer: info.scanner.manufacturer, model: info.scanner.model,
                                serial: info.scanner.deviceSerialNumber, station: info.scanner.stationName)
        let p = info.acquisition
        let protocolKey = "\(p.kvp.map { num($0) } ?? "?") kV, kernel \(p.kernel ?? "?")"
        // An ESP lying on the pad: measure it (its calibration comes from the pad).
        let spine = pipeline.locate(volume)
        if spine.segments.count >= 2 {
            do {
                let report = try pipeline.measure(volume, series: info, path: folder, search: spine, refused: refused)
                warnings += report.checks.filter { $0.name == "slice gap" }.map { "\(folder): slice gap: \($0.detail)" }
                guard let cal = report.calibration, let fit = cal.fit else {
                    printError("refused: \(folder): ESP found but no calibration: " + report.checks.filter { $0.status == .fail }.map(\.detail).joined(separator: "; "))
                    return nil
                }
                var metrics = calibrationMetrics(fit: fit, rods: cal.rods)
                for v in report.vertebrae {
                    guard let bmd = v.bmd else {
                        printError("refused: \(folder): \(v.name) \(v.missing ?? "not measured"); the ESP result is incomplete")
                        return nil
                    }
                    metrics.append(QCMetric(name: "\(v.name) BMD", unit: "mg/cm3", value: bmd, percentLimit: 0.015))
                }
                return QCResultInput(scanner: scanner, protocolKey: protocolKey, kind: "esp on \(cal.phantom)", phantom: report.phantom,
                                     certificate: [report.certificate, cal.certificate].compactMap { $0 }.joined(separator: "; "),
                                     acquired: acquired, seriesInstanceUID: info.seriesInstanceUID, analysisVersion: QCTVersion.string,
                                     source: folder, calibrationStatus: cal.status, provenance: (try? jsonString(report)) ?? "{}",
                                     metrics: metrics)
            } catch {
                printError("refused: \(error)")
                return nil
            }
        }
        // A calibration or QA phantom alone: of those that fit without a failed check, the one with the
        // most rods (a 6-rod phantom also holds a 3-rod pattern; a 5-rod pad a 4-rod one), then the best checks, then R².
        let ids = pipeline.catalog.phantoms.values.filter { $0.calibration != .none }.map(\.id).sorted()
        var best: (CalibrationResult, CalibrationFit)?
        for id in ids {
            guard let phantom = pipeline.catalog.phantoms[id],
                  let certificate = pipeline.catalog.certificate(for: id, serial: id == measure.calibrationPhantom ? measure.calibrationSerial : nil),
                  let result = try? Calibrator.calibrate(volume, phantom: phantom, certificate: certificate),
                  result.status != .fail, let fit = result.fit else { continue }
            if let (b, bf) = best {
                let better = (-result.rods.count, result.status, -fit.r2) < (-b.rods.count, b.status, -bf.r2)
                if !better { continue }
            }
            best = (result, fit)
        }
        if var (result, fit) = best {
            let gaps = SliceGapCheck.checks(info, refused: refused)
            if !gaps.isEmpty {
                result.checks += gaps
                result.status = max(result.status, .warn)
                warnings += gaps.map { "\(folder): slice gap: \($0.detail)" }
            }
            let report = CalibrationReport(result: result, series: info)
            return QCResultInput(scanner: scanner, protocolKey: protocolKey, kind: result.phantom, phantom: result.phantom,
                                 certificate: result.certificate, acquired: acquired, seriesInstanceUID: info.seriesInstanceUID,
                                 analysisVersion: QCTVersion.string, source: folder, calibrationStatus: result.status.rawValue,
                                 provenance: (try? report.jsonString()) ?? "{}", metrics: calibrationMetrics(fit: fit, rods: result.rods))
        }
        let tried = ids
        printError("refused: \(folder): no calibration phantom or ESP recognised (tried \(tried.joined(separator: ", ")))")
        return nil
    }

    /// σ_CT, β_CT (or slope, intercept), R² and each rod's mean HU.
    func calibrationMetrics(fit: CalibrationFit, rods: [CalibratedRod]) -> [QCMetric] {
        var out: [QCMetric] = []
        if let s = fit.sigmaCT, let b = fit.betaCT {
            out.append(QCMetric(name: "sigmaCT", unit: "HU per mg/cm3", value: s, percentLimit: 0.015))
            out.append(QCMetric(name: "betaCT", unit: "HU", value: b))
        } else {
            out.append(QCMetric(name: "slope", unit: "mg/cm3 per HU", value: fit.slope, percentLimit: 0.015))
            out.append(QCMetric(name: "intercept", unit: "mg/cm3", value: fit.intercept))
        }
        out.append(QCMetric(name: "R2", unit: "1", value: fit.r2, judged: false))
        for r in rods { out.append(QCMetric(name: "rod \(r.name)", unit: "HU", value: r.meanHU, primary: false)) }
        return out
    }
}
