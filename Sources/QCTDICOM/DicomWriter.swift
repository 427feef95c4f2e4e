import CDCMTKShim
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes new CT images through DCMTK.
public enum DicomWriter {
    /// Writes one single-frame image with signed 16-bit stored values.
    /// `attributes` are text values (numbers as DICOM text); Rows, Columns
    /// and the pixel module must be among them.
    public static func writeImage16(path: String, attributes: [(DicomTag, String)], pixels: [Int16],
                                    rows: Int, columns: Int) throws(DicomReadError) {
        precondition(pixels.count == rows * columns, "pixel count must match rows × columns")
        var err = qct_error()
        let rc = withAttributeArrays(attributes) { tags, values, count in
            pixels.withUnsafeBufferPointer { p in
                qct_write_image16(path, tags, values, count, p.baseAddress, UInt32(rows), UInt32(columns), &err)
            }
        }
        guard rc == 0 else {
            throw DicomReadError(path: path, reason: DicomFile.message(err), module: DicomFile.module(err), code: err.code)
        }
    }
}

/// Hands (tag, text) attributes to the shim as parallel C arrays: tag codes
/// and NUL-terminated strings, valid for the duration of `body`.
func withAttributeArrays(_ attributes: [(DicomTag, String)],
                         _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, Int) -> Int32) -> Int32 {
    let tags = attributes.map { $0.0.code }
    let strings = attributes.map { strdup($0.1) }
    defer { strings.forEach { free($0) } }
    return tags.withUnsafeBufferPointer { t in
        strings.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in body(t.baseAddress, v.baseAddress, t.count) }
    }
}
