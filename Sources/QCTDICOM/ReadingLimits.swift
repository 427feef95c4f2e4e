import Foundation

/// What one file may ask qct to allocate, checked from its header before any pixel is read:
/// a hostile or damaged header must not make a 2 KB file claim gigabytes.
public enum ReadingLimits {
    /// Largest matrix side, pixels (8192² 32-bit pixels are 256 MB a frame).
    public static let maxMatrixSide = 8192
    /// Most frames in one file.
    public static let maxFrames = 100_000

    /// Refuses a matrix or frame count beyond the limits, and native pixel data whose declared
    /// length is larger than the file or shorter than its rows × columns × frames need.
    static func check(_ layout: PixelLayout, fileSize: Int?, refuse: (String) -> DicomReadError) throws(DicomReadError) {
        guard layout.rows <= maxMatrixSide, layout.columns <= maxMatrixSide else {
            throw refuse("matrix \(layout.columns)×\(layout.rows) is beyond the \(maxMatrixSide)×\(maxMatrixSide) qct reads")
        }
        guard layout.frames <= maxFrames else {
            throw refuse("Number of Frames \(layout.frames) is beyond the \(maxFrames) qct reads in one file")
        }
        guard !layout.encapsulated, let declared = layout.pixelDataLength else { return }
        // Cannot overflow: each factor is bounded above.
        let needed = layout.rows * layout.columns * layout.frames * (layout.bitsAllocated / 8)
        if let size = fileSize, declared > size {
            throw refuse("Pixel Data declares \(declared) bytes, more than the whole file (\(size) bytes)")
        }
        if declared < needed {
            throw refuse("Pixel Data holds \(declared) bytes, \(needed) expected (truncated file?)")
        }
    }
}
