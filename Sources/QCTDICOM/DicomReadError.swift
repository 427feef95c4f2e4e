/// Why a file could not be read. `description` is the one line shown to a
/// person; `module` and `code` keep the decoder's own identity (DCMTK's
/// OFCondition, OpenJPEG, or qct's checks).
public struct DicomReadError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var module: String
    public var code: Int32

    public init(path: String, reason: String, module: String = "qct", code: Int32 = 0) {
        self.path = path
        self.reason = reason
        self.module = module
        self.code = code
    }

    public var description: String { "\(path): \(reason)" }
}
