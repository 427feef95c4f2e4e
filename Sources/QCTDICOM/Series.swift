import QCTCore

/// One assembled image series: frames sorted along the slice normal, their
/// common geometry, the scanner and protocol, and any problems found.
public struct Series: Sendable {
    /// Series Instance UID (0020,000E). Parts of a split series share it.
    public var seriesInstanceUID: String
    /// 1-based part number when the UID held several geometries, else nil.
    public var part: Int?
    public var modality: String?
    /// Frames in volume order (increasing position along the normal).
    public var frames: [FrameHeader]
    public var geometry: VolumeGeometry
    /// Nominal Slice Thickness (0018,0050), mm.
    public var sliceThicknessMM: Double?
    public var scanner: ScannerIdentity
    public var acquisition: AcquisitionProtocol
    public var padding: PaddingRange?
    public var problems: [SeriesProblem]

    /// Distinct files contributing frames, in volume order.
    public var filePaths: [String] {
        var seen = Set<String>()
        return frames.compactMap { seen.insert($0.file.path).inserted ? $0.file.path : nil }
    }

    /// Transfer syntaxes present.
    public var transferSyntaxes: [String] {
        Array(Set(frames.compactMap(\.transferSyntaxUID))).sorted()
    }
}

/// Images that are valid DICOM but deliberately kept out of volumes
/// (localizers, non-axial series, non-image objects).
public struct ExcludedItem: Hashable, Codable, Sendable {
    /// Series Instance UID, or the file path for a single object.
    public var identifier: String
    /// Number of frames or files concerned.
    public var count: Int
    public var reason: String
}

extension Series {
    /// What a result records about this series.
    public var identity: SeriesIdentity {
        SeriesIdentity(seriesInstanceUID: seriesInstanceUID, files: filePaths.count, geometry: geometry, sliceThicknessMM: sliceThicknessMM,
                       scanner: scanner, acquisition: acquisition)
    }
}

extension Series {
    /// The patient the series belongs to, from its first file (identifiers: never log them).
    public func patient() -> PatientIdentity {
        guard let file = frames.first?.file else { return PatientIdentity() }
        return PatientIdentity(id: file.string(.patientID), name: file.string(.patientName),
                               birthDate: file.string(.patientBirthDate), sex: file.string(.patientSex))
    }
}
