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
            let (a, b) = (f.rescale.slope, f.rescale.intercept)
            guard a == a.rounded(), b == b.rounded(), abs(a) < 1e4, abs(b) < 1e5 else { return nil }
            let lo = f.signed ? -(1 << (f.bitsStored - 1)) : 0, hi = f.signed ? (1 << (f.bitsStored - 1)) - 1 : (1 << f.bitsStored) - 1
            let (x, y) = (lo * Int(a) + Int(b), hi * Int(a) + Int(b))
            guard min(x, y) >= Int(Int16.min), max(x, y) <= Int(Int16.max) else { return nil }
            rescale.append((Int(a), Int(b)))
        }
        (frames, geometry, self.width, self.rescale) = (s.frames, s.geometry, width, rescale)
    }

    func write(slices: Range<Int>, to out: UnsafeMutableRawPointer) throws {
        let n = geometry.voxelsPerSlice
        let box = UnsafeSendablePointer(out)
        let failure = Locked<DicomReadError?>(nil)
        DispatchQueue.concurrentPerform(iterations: slices.count) { s in
            let k = slices.lowerBound + s, f = frames[k]
            let slice = box.pointer + s * n * 2
            do throws(DicomReadError) {
                try f.file.decodeFrame(f.frameIndex, into: UnsafeMutableRawBufferPointer(start: slice, count: n * 2), width: width)
            } catch {
                failure.withLock { $0 = $0 ?? error }
                return
            }
            // HU = stored × slope + intercept in integers, in place (every value fits int16: checked from the header).
            let (a, b) = rescale[k]
            let hu = slice.assumingMemoryBound(to: Int16.self)
            if width == .int16 {
                for i in 0..<n { hu[i] = Int16(truncatingIfNeeded: Int(hu[i]) &* a &+ b).littleEndian }
            } else {
                let stored = slice.assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { hu[i] = Int16(truncatingIfNeeded: Int(stored[i]) &* a &+ b).littleEndian }
            }
        }
        if let e = failure.current { throw Failure(error: e) }
    }
}
