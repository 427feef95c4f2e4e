import CZlib

/// Minimal PNG writer (8-bit RGB, no interlace), for overlays and charts.
public enum PNGEncoder {
    /// `text`: keyword and UTF-8 text pairs, stored as uncompressed iTXt chunks (PNG 1.2 §4.2.3.3).
    public static func rgb(_ pixels: [UInt8], width: Int, height: Int, text: [(String, String)] = []) throws -> [UInt8] {
        precondition(pixels.count == width * height * 3, "RGB buffer size")
        var raw = [UInt8]()
        raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)  // filter: none
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            out += be32(UInt32(data.count))
            let body = Array(type.utf8) + data
            out += body
            out += be32(UInt32(body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }))
        }
        chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
        for (keyword, value) in text {
            // keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text.
            chunk("iTXt", Array(keyword.utf8.prefix(79)) + [0, 0, 0, 0, 0] + Array(value.utf8))
        }
        chunk("IDAT", try zlibCompress(raw))
        chunk("IEND", [])
        return out
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func zlibCompress(_ input: [UInt8]) throws -> [UInt8] {
        var size = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let rc = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in compress2(dst.baseAddress, &size, src.baseAddress, uLong(src.count), 6) }
        }
        guard rc == Z_OK else { throw VolumeWriteError(description: "zlib compression failed (\(rc))") }
        return Array(out.prefix(Int(size)))
    }
}
