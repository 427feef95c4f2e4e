/// Volume file formats qct writes.
public enum VolumeFormat: Sendable {
    case nrrd
    case nifti
    case niftiGzip

    /// Chooses the format from a file name's extension; nil when unsupported.
    public init?(path: String) {
        let p = path.lowercased()
        if p.hasSuffix(".nrrd") { self = .nrrd }
        else if p.hasSuffix(".nii.gz") { self = .niftiGzip }
        else if p.hasSuffix(".nii") { self = .nifti }
        else { return nil }
    }
}

/// Sample type written: the narrowest that holds every HU value exactly.
public enum SampleType: Sendable, Equatable {
    case int16
    case float32
    case float64

    /// Bytes per sample.
    public var size: Int {
        switch self {
        case .int16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }
}
