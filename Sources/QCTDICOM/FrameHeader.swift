import QCTCore

/// What qct needs to know about one image frame before decoding it.
public struct FrameHeader: Sendable {
    /// The file holding the frame.
    public var file: DicomFile
    /// 0-based frame index within the file.
    public var frameIndex: Int
    public var seriesInstanceUID: String
    public var sopInstanceUID: String?
    public var modality: String?
    public var instanceNumber: Int?
    public var rows: Int
    public var columns: Int
    /// (row spacing, column spacing), mm; nil when absent.
    public var pixelSpacing: (row: Double, column: Double)?
    public var sliceThicknessMM: Double?
    public var spacingBetweenSlicesMM: Double?
    /// Image Position (Patient) of the first voxel, mm.
    public var position: Vector3?
    /// Image Orientation (Patient): row and column direction cosines.
    public var rowDirection: Vector3?
    public var columnDirection: Vector3?
    public var rescale: Rescale
    /// Bits Stored (0028,0101) and Pixel Representation (0028,0103): the stored values' range.
    public var bitsStored: Int
    public var signed: Bool
    public var padding: PaddingRange?
    /// Image Type (or Frame Type) values, upper-cased.
    public var imageType: [String]
    public var frameOfReferenceUID: String?
    public var transferSyntaxUID: String?
    public var scanner: ScannerIdentity
    public var acquisition: AcquisitionProtocol

    /// Direction of the plane normal, when orientation is known.
    public var normal: Vector3? {
        guard let r = rowDirection, let c = columnDirection else { return nil }
        return r.cross(c).normalized
    }

    /// True for scout/localizer images.
    public var isLocalizer: Bool { imageType.contains("LOCALIZER") }
}
