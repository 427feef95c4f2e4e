import Dispatch
import Foundation
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTPhysics

/// The digital CT scanner: renders a scene and writes a DICOM series and truth.json.
public enum Simulator {
    /// Product version written into Software Versions and truth.
    public static let version = "qct \(QCTVersion.string)"

    /// Writes one scan into `directory` (created if needed). Returns its truth.
    @discardableResult
    public static func run(_ request: SimulationRequest, catalog: PhantomCatalog, directory: String) throws -> SimulationTruth {
        let (scene, calibration, vertebrae, variation) = try SceneBuilder.build(request, catalog: catalog)
        let n = request.matrix
        let spacing = request.pixelSpacing
        guard n > 0, spacing > 0, request.slices > 0, request.sliceThicknessMM > 0, request.sliceSpacingMM > 0 else {
            throw SimulationError("matrix, pixel spacing, slices, slice thickness and spacing must be positive")
        }
        let x0 = -Double(n) * spacing / 2 + spacing / 2
        let isPatient = catalog.scenes[request.scene]?.phantoms.contains { catalog.phantoms[$0.id]?.anatomy != nil } ?? false
        let raster = Rasterizer(scene: scene, columns: n, rows: n, x0: x0, y0: x0, spacing: spacing,
                                supersampling: max(1, request.supersampling))
        let zs = (0..<request.slices).map { request.zCenterMM + (Double($0) - Double(request.slices - 1) / 2) * request.sliceSpacingMM }
        let bounds = raster.boundaries
        func interval(_ z: Double) -> Int { bounds.firstIndex { $0 > z } ?? bounds.count }
        // Render each needed interval once.
        let sliceWeights = zs.map { z in
            raster.weights(slab: (z - request.sliceThicknessMM / 2)...(z + request.sliceThicknessMM / 2), boundaries: bounds)
                .map { (interval($0.z), $0.z, $0.weight) }
        }
        var maps: [Int: [Double]] = [:]
        var last: (z: Double, pixels: [Double])?
        for (index, z, _) in sliceWeights.flatMap({ $0 }).sorted(by: { $0.1 < $1.1 }) where maps[index] == nil {
            let image = raster.render(z: z, base: last)
            maps[index] = image
            last = (z, image)
        }
        try prepare(directory)
        var uidRNG = SplitMix64(seed: request.seed &* 0x9E37_79B9 ^ fnv1a(request.scene + request.profile.id) ^ UInt64(request.seriesNumber))
        let study = uid(&uidRNG), series = uid(&uidRNG), frame = uid(&uidRNG)
        let instanceUIDs = zs.map { _ in uid(&uidRNG) }
        let taps = ImageFilters.gaussianTaps(fwhmPixels: request.blur / spacing)
        let noise = request.noiseSD
        let failures = ErrorBox()
        let mapsCopy = maps
        DispatchQueue.concurrentPerform(iterations: zs.count) { k in
            var image = [Double](repeating: 0, count: n * n)
            for (index, _, w) in sliceWeights[k] {
                guard let m = mapsCopy[index] else { continue }
                for i in 0..<image.count { image[i] += w * m[i] }
            }
            if let day = request.dayVariation {
                let radius = Double(n) * spacing / 2
                for j in 0..<n {
                    let y = x0 + Double(j) * spacing
                    for i in 0..<n { image[j * n + i] = day.apply(image[j * n + i], x: x0 + Double(i) * spacing, y: y, radius: radius) }
                }
            }
            if request.gainGradientPerMM != 0 {
                let g = 1 + request.gainGradientPerMM * zs[k]
                for i in 0..<image.count { image[i] *= g }
            }
            var rng = SplitMix64(seed: request.seed ^ (UInt64(k + 1) &* 0xD1B5_4A32_D192_ED03) ^ UInt64(request.seriesNumber) << 48)
            ImageFilters.addNoise(&image, sd: noise, taps: taps, rng: &rng)
            ImageFilters.blur(&image, columns: n, rows: n, taps: taps)
            let pixels = image.map { Int16(clamping: Int(($0 + 1024).rounded())) }
            let attributes = sliceAttributes(request, isPatient: isPatient, k: k, z: zs[k], x0: x0, spacing: spacing, study: study,
                                             series: series, frame: frame, instance: instanceUIDs[k])
            let path = (directory as NSString).appendingPathComponent(String(format: "IM%05d.dcm", k + 1))
            do {
                try DicomWriter.writeImage16(path: path, attributes: attributes, pixels: pixels, rows: n, columns: n)
            } catch {
                failures.set("\(error)")
            }
        }
        if let message = failures.message { throw SimulationError(message) }
        let truth = SimulationTruth(
            analysisVersion: version, scene: request.scene, seed: request.seed,
            scanner: ScannerTruth(profile: request.profile.id, manufacturer: request.profile.manufacturer,
                                  model: request.profile.model, stationName: request.profile.stationName,
                                  deviceSerialNumber: request.profile.deviceSerialNumber, kvp: request.profile.kvp,
                                  effectiveEnergyKeV: request.profile.effectiveEnergyKeV, huGain: request.profile.huGain,
                                  huOffset: request.profile.huOffset, huGainGradientPerMM: request.gainGradientPerMM,
                                  dayVariation: request.dayVariation,
                                  kernel: request.profile.kernel,
                                  mAs: request.profile.mAs, noiseSDHU: noise, blurFWHMmm: request.blur,
                                  attenuationSource: AttenuationTable.source),
            geometry: GeometryTruth(rows: n, columns: n, pixelSpacingMM: spacing, slices: zs.count,
                                    sliceThicknessMM: request.sliceThicknessMM, sliceSpacingMM: request.sliceSpacingMM,
                                    firstSliceZMM: zs[0], originMM: [x0, x0, zs[0]],
                                    translationMM: request.translationMM, rotationDegrees: request.rotationDegrees,
                                    supersampling: request.supersampling),
            phantoms: scene.phantoms, inserts: scene.inserts, calibration: calibration, vertebrae: vertebrae,
            variation: variation)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(truth).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("truth.json")),
                                        options: .atomic)
        return truth
    }

    /// Creates the folder, or empties one that holds an earlier simulation
    /// (its `truth.json` and `IM*.dcm` only). Any other content is left alone
    /// and the run is refused, so nothing a user stored is overwritten.
    static func prepare(_ directory: String) throws {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: directory) else {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return
        }
        if entries.isEmpty { return }
        let ours = entries.allSatisfy { $0 == "truth.json" || ($0.hasPrefix("IM") && $0.hasSuffix(".dcm")) }
        guard ours, entries.contains("truth.json") else {
            throw SimulationError("\(directory) is not empty and does not hold an earlier simulation; choose an empty folder")
        }
        for e in entries { try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(e)) }
    }

    static func sliceAttributes(_ r: SimulationRequest, isPatient: Bool, k: Int, z: Double, x0: Double, spacing: Double,
                                study: String, series: String, frame: String, instance: String) -> [(DicomTag, String)] {
        let p = r.profile
        func ds(_ v: Double) -> String {
            var s = String(format: "%.6f", v)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
            return s == "-0" ? "0" : s
        }
        return [
            (.sopClassUID, "1.2.840.10008.5.1.4.1.1.2"), (.sopInstanceUID, instance),
            (.imageType, "ORIGINAL\\PRIMARY\\AXIAL"), (.studyDate, r.acquisitionDate), (.seriesDate, r.acquisitionDate),
            (.acquisitionDate, r.acquisitionDate), (.contentDate, r.acquisitionDate), (.studyTime, r.acquisitionTime),
            (.seriesTime, r.acquisitionTime), (.acquisitionTime, r.acquisitionTime), (.contentTime, r.acquisitionTime),
            (.accessionNumber, ""), (.modality, "CT"), (.manufacturer, p.manufacturer),
            (.institutionName, p.institutionName), (.referringPhysicianName, ""), (.stationName, p.stationName),
            (.studyDescription, isPatient ? "QCT lumbar spine (simulated patient)" : "QCT phantom (simulated)"), (.seriesDescription, "\(r.scene) \(p.id)"),
            (.manufacturerModelName, p.model), (.patientName, r.patientName ?? (isPatient ? "SIMULATED^PATIENT" : "QCT^Phantom")),
            (.patientID, r.patientID ?? (isPatient ? "SIM-\(r.seed)" : "PHANTOM")),
            (.patientBirthDate, ""), (.patientSex, ""), (.bodyPartExamined, "LSPINE"),
            (.sliceThickness, ds(r.sliceThicknessMM)), (.kvp, ds(p.kvp)), (.spacingBetweenSlices, ds(r.sliceSpacingMM)),
            (.deviceSerialNumber, p.deviceSerialNumber), (.softwareVersions, "\(p.softwareVersions)\\\(version)"),
            (.reconstructionDiameter, ds(spacing * Double(r.matrix))), (.tableHeight, ds(p.tableHeightMM)),
            (.exposureTime, "1000"), (.xRayTubeCurrent, "\(Int((p.mAs).rounded()))"), (.exposure, "\(Int(p.mAs.rounded()))"),
            (.convolutionKernel, p.kernel), (.patientPosition, "HFS"),
            (.studyInstanceUID, study), (.seriesInstanceUID, series), (.studyID, "1"),
            (.seriesNumber, "\(r.seriesNumber)"), (.acquisitionNumber, "1"), (.instanceNumber, "\(k + 1)"),
            (.imagePositionPatient, "\(ds(x0))\\\(ds(x0))\\\(ds(z))"), (.imageOrientationPatient, "1\\0\\0\\0\\1\\0"),
            (.frameOfReferenceUID, frame), (.positionReferenceIndicator, ""), (.sliceLocation, ds(z)),
            (.samplesPerPixel, "1"), (.photometricInterpretation, "MONOCHROME2"), (.rows, "\(r.matrix)"),
            (.columns, "\(r.matrix)"), (.pixelSpacing, "\(ds(spacing))\\\(ds(spacing))"), (.bitsAllocated, "16"),
            (.bitsStored, "16"), (.highBit, "15"), (.pixelRepresentation, "1"), (.windowCenter, "40"),
            (.windowWidth, "400"), (.rescaleIntercept, "-1024"), (.rescaleSlope, "1"), (.rescaleType, "HU"),
        ]
    }

    /// A UID under the 2.25 root (ITU-T X.667: the decimal of a 128-bit number).
    static func uid(_ rng: inout SplitMix64) -> String {
        let value = UInt128(rng.next()) << 64 | UInt128(rng.next())
        return "2.25.\(value >> 1)"  // below 2^127: no leading-zero or length surprises
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}

/// The first error message of parallel workers.
final class ErrorBox: Sendable {
    private let first = Locked<String?>(nil)
    var message: String? { first.current }
    func set(_ m: String) { first.withLock { if $0 == nil { $0 = m } } }
}
