import Dispatch
import QCTCore
import QCTDICOM
import QCTExport

/// A series' HU decoded slice by slice while the export is written, so that no volume is held:
/// the export's memory is a batch of slices, not the series. Used when the headers alone show that
/// every HU is an int16 (integer rescale, and the range Bits Stored allows maps inside int16) and
/// each frame is a file of its own (a handle is used by one thread at a time); otherwise the
/// series is loaded as a volume first.
struct DecodedSlices: SliceSamples {
    let frames: [FrameHeader]
    let geometry: VolumeGeometry
    let width: VoxelSamples.Width
    let rescale: [(slope: Int, intercept: Int)]
    var type: SampleType { .int16 }

    /// A file whose pixels could not be decoded (the export falls back to loading, which refuses it).
    struct Failure: Error { let error: DicomReadError }

    init?(_ s: Series) {
        let files = Set(s.frames.map { ObjectIdentifier($0.file) })
        guard files.count == s.frames.count else { return nil }
        let width = VoxelSamples.Width.holding(s.frames.map { ($0.bitsStored, $0.signed) })
        guard width != .int32 else { return nil }
        var rescale: [(slope: Int, intercept: Int)] = []
        for f in s.frames {
            guard let (a, b) = f.rescale.integerParts else { return nil }
            let lo = f.signed ? -(1 << (f.bitsStored - 1)) : 0, hi = f.signed ? (1 << (f.bitsStored - 1)) - 1 : (1 << f.bitsStored) - 1
            let (x, y) = (lo * a + b, hi * a + b)
            guard min(x, y) >= Int(Int16.min), max(x, y) <= Int(Int16.max) else { return nil }
            rescale.append((a, b))
        }
        (frames, geometry, self.width, self.rescale) = (s.frames, s.geometry, width, rescale)
    }

    func write(slices: Range<Int>, to out: UnsafeMutableRawPointer) throws {
        let n = geometry.voxelsPerSlice
        let box = SharedBuffer(UnsafeMutableBufferPointer(start: out.assumingMemoryBound(to: UInt8.self), count: slices.count * n * 2))
        let failure = Locked<DicomReadError?>(nil)
        DispatchQueue.concurrentPerform(iterations: slices.count) { s in
            let k = slices.lowerBound + s, f = frames[k]
            let slice = UnsafeMutableRawPointer(box.buffer.baseAddress! + s * n * 2)
            do throws(DicomReadError) {
                try f.file.decodeFrame(f.frameIndex, into: UnsafeMutableRawBufferPointer(start: slice, count: n * 2), width: width)
            } catch {
                failure.withLock { $0 = $0 ?? error }
                return
            }
            // HU in place (every value fits int16: checked from the header).
            let hu = slice.assumingMemoryBound(to: Int16.self)
            if width == .int16 {
                integerHU(UnsafePointer(hu), count: n, rescale: rescale[k], to: hu)
            } else {
                integerHU(UnsafePointer(slice.assumingMemoryBound(to: UInt16.self)), count: n, rescale: rescale[k], to: hu)
            }
        }
        if let e = failure.current { throw Failure(error: e) }
    }
}
