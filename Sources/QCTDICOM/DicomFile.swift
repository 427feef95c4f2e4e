import CDCMTKShim
import Foundation
import QCTCore

/// One opened DICOM file. Every call into the C shim goes through this type.
///
/// The header is parsed on open; pixel data stays on disk until a frame is
/// decoded. A `DicomFile` must be used from one thread at a time; separate
/// files may be used concurrently.
public final class DicomFile: @unchecked Sendable {
    public let path: String
    private let handle: OpaquePointer

    /// Opens `path`, or throws a `DicomReadError` naming the reason.
    public init(path: String) throws(DicomReadError) {
        var err = qct_error()
        guard let h = qct_open(path, &err) else {
            throw Self.failure(path, err, reason: Self.explainOpenFailure(path: path, err))
        }
        self.path = path
        self.handle = h
    }

    deinit { qct_close(handle) }

    /// The file's size in bytes, if it can be read (one `stat`: Foundation's attribute dictionary
    /// cost a third of reading a CT header).
    public var size: Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Number of Frames (1 when absent).
    public var frameCount: Int { number(.numberOfFrames).map { max(1, Int($0)) } ?? 1 }

    /// The transfer syntax UID the data set was read in.
    public var transferSyntaxUID: String? {
        withBuffer(capacity: 96) { qct_transfer_syntax(handle, $0, $1) }
    }

    /// Text of the attribute at `path`: a tag, then (item index, tag) pairs
    /// into sequences. Trailing and leading spaces and NULs are trimmed;
    /// nil when absent or empty.
    public func string(_ tag: DicomTag, in path: [(DicomTag, Int)] = []) -> String? {
        valueBytes(tag, in: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Values of a multi-valued attribute, split at backslashes.
    public func strings(_ tag: DicomTag, in path: [(DicomTag, Int)] = []) -> [String]? {
        guard let bytes = valueBytes(tag, in: path) else { return nil }
        // Split and trimmed as bytes: the backslash (5C) delimits values in every character set
        // CT uses (PS3.5 6.1.2.5.3), and no String is made for a part until it is known.
        return bytes.split(separator: 0x5C, omittingEmptySubsequences: false).map { String(decoding: Self.trimmed($0), as: UTF8.self) }
    }

    /// The value's bytes at `path`, leading and trailing spaces and NULs trimmed; nil when absent or empty.
    private func valueBytes(_ tag: DicomTag, in path: [(DicomTag, Int)]) -> ArraySlice<UInt8>? {
        var codes: [UInt32] = []
        codes.reserveCapacity(2 * path.count + 1)
        for (seq, item) in path { codes.append(seq.code); codes.append(UInt32(item)) }
        codes.append(tag.code)
        let raw: [UInt8]? = codes.withUnsafeBufferPointer { p in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { buffer in
                let n = Int(qct_get_string(handle, p.baseAddress, p.count, buffer.baseAddress!, buffer.count))
                guard n >= 0 else { return nil }
                return Array(UnsafeRawBufferPointer(start: buffer.baseAddress, count: min(n, buffer.count)))
            }
        }
        guard let raw else { return nil }
        let trimmed = Self.trimmed(raw[...])
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `bytes` without leading and trailing spaces and NULs.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0 }) else { return [] }
        let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0 })!
        return bytes[first...last]
    }

    /// Numeric values (DS, IS, US, SS, FL, FD…); nil when absent or when any
    /// value does not parse. Accepts DS forms such as `001.000000E+00`.
    public func numbers(_ tag: DicomTag, in path: [(DicomTag, Int)] = []) -> [Double]? {
        guard let parts = strings(tag, in: path) else { return nil }
        var out: [Double] = []
        for p in parts {
            guard let v = Double(p), v.isFinite else { return nil }
            out.append(v)
        }
        return out
    }

    /// First numeric value of an attribute.
    public func number(_ tag: DicomTag, in path: [(DicomTag, Int)] = []) -> Double? {
        numbers(tag, in: path)?.first
    }

    /// Number of items in a sequence; nil when absent.
    public func itemCount(_ tag: DicomTag, in path: [(DicomTag, Int)] = []) -> Int? {
        var codes: [UInt32] = []
        for (seq, item) in path { codes.append(seq.code); codes.append(UInt32(item)) }
        codes.append(tag.code)
        let n = codes.withUnsafeBufferPointer { qct_item_count(handle, $0.baseAddress, $0.count) }
        return n >= 0 ? Int(n) : nil
    }

    /// Pixel layout (rows, columns, frames, bits…), or a reason it is unusable.
    public func pixelLayout() throws(DicomReadError) -> PixelLayout {
        var layout = qct_pixel_layout()
        var err = qct_error()
        guard qct_pixel_layout_of(handle, &layout, &err) == 0 else { throw Self.failure(path, err) }
        return PixelLayout(rows: Int(layout.rows), columns: Int(layout.columns), frames: Int(layout.frames),
                           samplesPerPixel: Int(layout.samples_per_pixel), bitsAllocated: Int(layout.bits_allocated),
                           bitsStored: Int(layout.bits_stored), highBit: Int(layout.high_bit),
                           signed: layout.pixel_representation == 1, hasPixelData: layout.has_pixel_data != 0,
                           encapsulated: layout.encapsulated != 0,
                           pixelDataLength: layout.pixel_data_length == 0 ? nil : Int(clamping: layout.pixel_data_length),
                           fragmentItems: Int(layout.fragment_items), fragmentBytes: Int(clamping: layout.fragment_bytes))
    }

    /// Decodes frame `index` into `out` as raw stored values (masked to Bits
    /// Stored, sign-extended for signed data). `out` must hold rows × columns.
    public func decodeFrame(_ index: Int, into out: UnsafeMutableBufferPointer<Int32>) throws(DicomReadError) {
        var err = qct_error()
        guard qct_decode_frame(handle, UInt32(index), out.baseAddress, out.count, &err) == 0 else { throw Self.failure(path, err) }
    }

    /// Decodes frame `index` into `out` as stored values of `width` (which must hold the layout's
    /// range; `VoxelSamples.Width.holding`).
    public func decodeFrame(_ index: Int, into out: UnsafeMutableRawBufferPointer, width: VoxelSamples.Width) throws(DicomReadError) {
        var err = qct_error()
        let type: qct_sample_type = switch width {
        case .int16: QCT_SAMPLES_INT16
        case .uint16: QCT_SAMPLES_UINT16
        case .int32: QCT_SAMPLES_INT32
        }
        guard qct_decode_frame_as(handle, UInt32(index), out.baseAddress, out.count / width.size, type, &err) == 0 else { throw Self.failure(path, err) }
    }

    /// Decodes frame `index` into a new array.
    public func decodeFrame(_ index: Int) throws(DicomReadError) -> [Int32] {
        let layout = try pixelLayout()
        var values = [Int32](repeating: 0, count: layout.rows * layout.columns)
        var failure: DicomReadError?
        values.withUnsafeMutableBufferPointer { buf in
            do throws(DicomReadError) { try decodeFrame(index, into: buf) } catch { failure = error }
        }
        if let failure { throw failure }
        return values
    }

    /// Writes a copy of `source` to `destination` with text attributes replaced.
    public static func writeModified(source: String, destination: String,
                                     replacing values: [(DicomTag, String)]) throws(DicomReadError) {
        var err = qct_error()
        let rc = withAttributeArrays(values) { tags, strings, count in
            qct_write_modified(source, destination, tags, strings, count, &err)
        }
        guard rc == 0 else { throw failure(destination, err) }
    }

    // MARK: - Helpers

    private func withBuffer(capacity: Int, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: capacity)
        let n = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What the shim's exception barrier makes of a C++ exception thrown inside it (1 bad_alloc,
    /// 2 runtime_error, 3 anything else): the error it reports, or nil when nothing was thrown.
    public static func barrierSelfTest(_ which: Int32) -> DicomReadError? {
        var err = qct_error()
        guard qct_barrier_selftest(which, &err) != 0 else { return nil }
        return failure("(self-test)", err)
    }

    /// The shim's error record as a Swift error (its kind, module, code and text).
    static func failure(_ path: String, _ err: qct_error, reason: String? = nil) -> DicomReadError {
        DicomReadError(path: path, reason: reason ?? message(err), kind: DicomReadError.Kind(rawValue: err.kind) ?? .internal,
                       module: module(err), code: err.code)
    }

    /// Turns DCMTK's parse failure into a reason a person can act on.
    static func explainOpenFailure(path: String, _ err: qct_error) -> String {
        let text = message(err)
        guard Self.module(err) != "qct" else { return text }
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot open file (permission or missing)" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 132)) ?? Data()
        if head.isEmpty { return "empty file" }
        let hasPrefix = head.count == 132 && head.suffix(4) == Data("DICM".utf8)
        let dcmtk = text.replacingOccurrences(of: "cannot parse as DICOM: ", with: "")
        let endOfData = err.kind == Int32(QCT_ERROR_TRUNCATED.rawValue)
        if hasPrefix {
            return endOfData ? "truncated DICOM file: data ends inside an element (\(dcmtk))"
                             : "malformed DICOM file (\(dcmtk))"
        }
        return "not a DICOM file (no DICM prefix, and not readable as a bare data set: \(dcmtk))"
    }

    static func message(_ err: qct_error) -> String {
        var e = err
        return withUnsafeBytes(of: &e.text) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func module(_ err: qct_error) -> String {
        var e = err
        return withUnsafeBytes(of: &e.module) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension String {
    /// Trims spaces and NULs, the padding DICOM text values carry.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\0" }) else { return "" }
        let end = scalars.lastIndex(where: { $0 != " " && $0 != "\0" })!
        return String(scalars[start...end])
    }
}

/// What a frame decoder needs to know about the pixels, from the data set.
public struct PixelLayout: Sendable, Hashable {
    public var rows: Int
    public var columns: Int
    public var frames: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    /// Pixel Representation 1: two's complement.
    public var signed: Bool
    public var hasPixelData: Bool
    /// Compressed fragments, not native pixels.
    public var encapsulated: Bool
    /// The Pixel Data element's declared length, bytes (native data only).
    public var pixelDataLength: Int?
    /// Encapsulated data: items of the pixel sequence (offset table included) and their bytes.
    public var fragmentItems: Int
    public var fragmentBytes: Int
}
