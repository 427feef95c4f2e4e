import Foundation

/// What one file may ask qct to allocate, checked from its header before any pixel is read:
/// a hostile or damaged header must not make a 2 KB file claim gigabytes.
public enum ReadingLimits {
    /// Largest matrix side, pixels (8192² 32-bit pixels are 256 MB a frame).
    public static let maxMatrixSide = 8192
    /// Most frames in one file.
    public static let maxFrames = 100_000

    /// Largest expansion of compressed pixel data accepted: decoded bytes ≤ this × compressed bytes
    /// + `expansionSlack`. Lossless CT compresses 2–4×; a blank slice under RLE about 60×.
    public static let maxExpansion = 1000
    public static let expansionSlack = 64 << 20

    /// Refuses a matrix or frame count beyond the limits; native pixel data whose declared length is
    /// larger than the file or shorter than its rows × columns × frames need; and compressed pixel
    /// data with fewer fragments than frames, or too few bytes to decode into the image declared.
    static func check(_ layout: PixelLayout, fileSize: Int?, refuse: (String) -> DicomReadError) throws(DicomReadError) {
        guard layout.rows <= maxMatrixSide, layout.columns <= maxMatrixSide else {
            throw refuse("matrix \(layout.columns)×\(layout.rows) is beyond the \(maxMatrixSide)×\(maxMatrixSide) qct reads")
        }
        guard layout.frames <= maxFrames else {
            throw refuse("Number of Frames \(layout.frames) is beyond the \(maxFrames) qct reads in one file")
        }
        // Cannot overflow: each factor is bounded above.
        let needed = layout.rows * layout.columns * layout.frames * (layout.bitsAllocated / 8)
        if layout.encapsulated {
            let fragments = max(0, layout.fragmentItems - 1)  // the first item is the offset table
            if layout.frames > 1, fragments < layout.frames {
                throw refuse("Number of Frames \(layout.frames), but the compressed Pixel Data holds \(fragments) fragment(s)")
            }
            if needed > expansionSlack + maxExpansion * layout.fragmentBytes {
                throw refuse("compressed Pixel Data of \(layout.fragmentBytes) bytes cannot hold \(layout.columns)×\(layout.rows)×\(layout.frames) pixels (\(needed) bytes)")
            }
            return
        }
        guard let declared = layout.pixelDataLength else { return }
        if let size = fileSize, declared > size {
            throw refuse("Pixel Data declares \(declared) bytes, more than the whole file (\(size) bytes)")
        }
        if declared < needed {
            throw refuse("Pixel Data holds \(declared) bytes, \(needed) expected (truncated file?)")
        }
    }
}
