import QCTCore

/// Reads the frame headers of one file, or says why the file cannot be part
/// of a CT volume.
enum HeaderReader {
    /// Pixel spacings a CT can have, mm; a value outside is read as absent (geometry unknown).
    static let plausibleSpacing: ClosedRange<Double> = 1e-4...1e3
    /// Largest coordinate of an Image Position, mm (1 km); beyond it the position is read as absent,
    /// so that no distance between slices overflows (1e308 mm positions made an infinite spacing).
    static let plausiblePositionMM = 1e6

    static func frames(of file: DicomFile) throws(DicomReadError) -> [FrameHeader] {
        func refuse(_ reason: String) -> DicomReadError { DicomReadError(path: file.path, reason: reason) }

        let syntax = file.transferSyntaxUID
        if let syntax, TransferSyntax.supported[syntax] == nil {
            throw refuse("unsupported transfer syntax \(syntax) (\(TransferSyntax.name(syntax)))")
        }
        let layout = try file.pixelLayout()
        guard layout.hasPixelData else {
            let sop = file.string(.sopClassUID).map { " (SOP Class \($0))" } ?? ""
            throw refuse("header only: image attributes but no Pixel Data (7FE0,0010)\(sop)")
        }
        let photometric = file.string(.photometricInterpretation)?.uppercased() ?? "MONOCHROME2"
        guard layout.samplesPerPixel == 1 else {
            throw refuse("colour image (\(photometric), \(layout.samplesPerPixel) samples per pixel); CT needs one grey sample")
        }
        guard photometric.hasPrefix("MONOCHROME") else {
            throw refuse("\(photometric) image; CT needs MONOCHROME1 or MONOCHROME2")
        }
        guard [8, 16, 32].contains(layout.bitsAllocated) else {
            throw refuse("unsupported Bits Allocated \(layout.bitsAllocated)")
        }
        try ReadingLimits.check(layout, fileSize: file.size, refuse: refuse)

        // A file without a Series Instance UID is a series of its own.
        let seriesUID = file.string(.seriesInstanceUID) ?? "(no Series Instance UID) \(file.path)"
        let scanner = ScannerIdentity(
            manufacturer: file.string(.manufacturer), model: file.string(.manufacturerModelName),
            stationName: file.string(.stationName), deviceSerialNumber: file.string(.deviceSerialNumber),
            softwareVersions: file.strings(.softwareVersions)?.joined(separator: "\\"),
            institutionName: file.string(.institutionName))
        let acquisition = readProtocol(file)
        let topType = file.strings(.imageType)?.map { $0.uppercased() } ?? []
        let padding = readPadding(file, signed: layout.signed)
        let frameCount = layout.frames
        let perFrame = file.itemCount(.perFrameFunctionalGroups) ?? 0
        let shared = (file.itemCount(.sharedFunctionalGroups) ?? 0) > 0

        var headers: [FrameHeader] = []
        headers.reserveCapacity(frameCount)
        for f in 0..<frameCount {
            // Functional group lookup: per-frame item, then shared, then top level.
            func lookup(_ macro: DicomTag, _ tag: DicomTag) -> [Double]? {
                if f < perFrame, let v = file.numbers(tag, in: [(.perFrameFunctionalGroups, f), (macro, 0)]) { return v }
                if shared, let v = file.numbers(tag, in: [(.sharedFunctionalGroups, 0), (macro, 0)]) { return v }
                return file.numbers(tag)
            }
            func lookupString(_ macro: DicomTag, _ tag: DicomTag) -> String? {
                if f < perFrame, let v = file.string(tag, in: [(.perFrameFunctionalGroups, f), (macro, 0)]) { return v }
                if shared, let v = file.string(tag, in: [(.sharedFunctionalGroups, 0), (macro, 0)]) { return v }
                return file.string(tag)
            }
            let ipp = lookup(.planePositionSequence, .imagePositionPatient)
            let iop = lookup(.planeOrientationSequence, .imageOrientationPatient)
            let spacing = lookup(.pixelMeasuresSequence, .pixelSpacing)
            // Absent: identity. Present but not a finite number, or a zero slope: refused, since no
            // HU can come from it.
            func rescaleValue(_ tag: DicomTag, _ name: String, absent: Double) throws(DicomReadError) -> Double {
                if let v = lookup(.pixelValueTransformationSequence, tag)?.first { return v }
                if let raw = lookupString(.pixelValueTransformationSequence, tag) {
                    let shown = String(raw.prefix(40).unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? Character($0) : "?" })
                    throw refuse("\(name) \"\(shown)\" is not a finite number")
                }
                return absent
            }
            let slope = try rescaleValue(.rescaleSlope, "Rescale Slope", absent: 1)
            let intercept = try rescaleValue(.rescaleIntercept, "Rescale Intercept", absent: 0)
            guard slope != 0 else { throw refuse("Rescale Slope 0 maps every pixel to one value") }
            let rescaleType = lookupString(.pixelValueTransformationSequence, .rescaleType)
            var type = topType
            if perFrame > 0, let ft = lookupString(.ctImageFrameTypeSequence, .frameType) {
                type = ft.split(separator: "\\").map { String($0).uppercased() }
            }
            var rowDir: Vector3?
            var colDir: Vector3?
            if let iop, iop.count == 6 {
                let r = Vector3(iop[0], iop[1], iop[2]), c = Vector3(iop[3], iop[4], iop[5])
                if r.length > 0.5, c.length > 0.5 {
                    rowDir = r.normalized
                    colDir = c.normalized
                }
            }
            headers.append(FrameHeader(
                file: file, frameIndex: f, seriesInstanceUID: seriesUID,
                sopInstanceUID: file.string(.sopInstanceUID), modality: file.string(.modality),
                instanceNumber: file.number(.instanceNumber).map { Int($0) },
                rows: Int(layout.rows), columns: Int(layout.columns),
                pixelSpacing: spacing.flatMap { $0.count == 2 && (Self.plausibleSpacing).contains($0[0]) && (Self.plausibleSpacing).contains($0[1])
                                                    ? (row: $0[0], column: $0[1]) : nil },
                sliceThicknessMM: lookup(.pixelMeasuresSequence, .sliceThickness)?.first,
                spacingBetweenSlicesMM: lookup(.pixelMeasuresSequence, .spacingBetweenSlices)?.first,
                position: ipp.flatMap { $0.count == 3 && $0.allSatisfy { abs($0) <= Self.plausiblePositionMM } ? Vector3($0[0], $0[1], $0[2]) : nil },
                rowDirection: rowDir, columnDirection: colDir,
                rescale: Rescale(slope: slope, intercept: intercept, type: rescaleType),
                bitsStored: Int(layout.bitsStored), signed: layout.signed,
                padding: padding, imageType: type,
                frameOfReferenceUID: file.string(.frameOfReferenceUID),
                transferSyntaxUID: syntax, scanner: scanner, acquisition: acquisition))
        }
        return headers
    }

    /// Pixel Padding Value / Range Limit in stored-value space. For signed
    /// data a US-encoded value is reinterpreted as 16-bit two's complement.
    static func readPadding(_ file: DicomFile, signed: Bool) -> PaddingRange? {
        guard let v = file.number(.pixelPaddingValue) else { return nil }
        func stored(_ x: Double) -> Int32 {
            var i = Int64(x)
            if signed, i > Int64(Int16.max), i <= Int64(UInt16.max) { i -= 65536 }
            return Int32(clamping: i)
        }
        let limit = file.number(.pixelPaddingRangeLimit).map(stored)
        return PaddingRange(stored(v), limit ?? stored(v))
    }

    static func readProtocol(_ file: DicomFile) -> AcquisitionProtocol {
        var p = AcquisitionProtocol()
        let sharedCT: [(DicomTag, Int)] = [(.sharedFunctionalGroups, 0)]
        func enhanced(_ macro: DicomTag, _ tag: DicomTag) -> Double? {
            file.number(tag, in: sharedCT + [(macro, 0)])
                ?? file.number(tag, in: [(.perFrameFunctionalGroups, 0), (macro, 0)])
        }
        p.kvp = file.number(.kvp) ?? enhanced(.ctXRayDetailsSequence, .kvp)
        p.tubeCurrentMA = file.number(.xRayTubeCurrent) ?? enhanced(.ctExposureSequence, .xRayTubeCurrent)
        p.exposureMAs = file.number(.exposure) ?? file.number(.exposureInmAs)
            ?? enhanced(.ctExposureSequence, .exposureInmAs)
        p.kernel = file.strings(.convolutionKernel)?.joined(separator: "\\")
            ?? file.string(.convolutionKernel, in: sharedCT + [(.ctReconstructionSequence, 0)])
            ?? file.string(.reconstructionAlgorithm, in: sharedCT + [(.ctReconstructionSequence, 0)])
        p.reconstructionDiameterMM = file.number(.reconstructionDiameter)
            ?? enhanced(.ctReconstructionSequence, .reconstructionDiameter)
        p.tableHeightMM = file.number(.tableHeight) ?? enhanced(.ctAcquisitionDetailsSequence, .tableHeight)
        p.spiralPitchFactor = file.number(.spiralPitchFactor)
        p.ctdiVolMGy = file.number(.ctdiVol) ?? enhanced(.ctExposureSequence, .ctdiVol)
        p.gantryTiltDegrees = file.number(.gantryDetectorTilt)
            ?? enhanced(.ctAcquisitionDetailsSequence, .gantryDetectorTilt)
        if let dt = file.string(.acquisitionDateTime) {
            p.acquisitionDateTime = dt
        } else if let d = file.string(.acquisitionDate) ?? file.string(.contentDate)
                    ?? file.string(.seriesDate) ?? file.string(.studyDate) {
            let t = file.string(.acquisitionTime) ?? file.string(.contentTime)
                ?? file.string(.seriesTime) ?? file.string(.studyTime)
            p.acquisitionDateTime = d + (t ?? "")
        }
        p.seriesDescription = file.string(.seriesDescription)
        return p
    }
}
