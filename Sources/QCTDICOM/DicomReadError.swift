/// Why a file could not be read. `description` is the one line shown to a
/// person; `module` and `code` keep the decoder's own identity (DCMTK's
/// OFCondition, OpenJPEG, or qct's checks).
public struct DicomReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it was; callers decide by this, never by the text.
    public enum Kind: Int32, Sendable, Hashable {
        case none = 0
        /// The file cannot be read (missing, no permission, I/O error).
        case io = 1
        /// No DICOM data set, or a header that cannot be parsed.
        case notDICOM = 2
        /// The data ends inside an element.
        case truncated = 3
        /// Valid DICOM that is not an image (no Rows/Columns).
        case noImage = 4
        /// A required attribute is missing or impossible.
        case badAttribute = 5
        /// Colour, a bit depth or an encoding qct does not decode.
        case unsupported = 6
        /// A codec failed on the pixel data.
        case decode = 7
        case write = 8
        /// Memory ran out inside the DICOM library.
        case outOfMemory = 9
        /// An unexpected failure inside the DICOM library, stopped at the boundary.
        case `internal` = 10
        case argument = 11
    }

    public var path: String
    public var reason: String
    public var kind: Kind
    public var module: String
    public var code: Int32

    public init(path: String, reason: String, kind: Kind = .badAttribute, module: String = "qct", code: Int32 = 0) {
        self.path = path
        self.reason = reason
        self.kind = kind
        self.module = module
        self.code = code
    }

    public var description: String { "\(path): \(reason)" }
}
