import Dispatch
import QCTCore

/// A volume's HU as the samples of a file, little-endian in the narrowest exact type, produced on
/// demand for any range of elements (so a writer streams them in chunks and never holds a second
/// copy of the volume).
///
/// With integer rescale slopes and intercepts (nearly every CT) HU are computed in integers from
/// the stored values, and int16 is chosen when the stored values' actual range maps inside it; no
/// floating-point value is formed. Otherwise HU are computed in double and written as float32 when
/// every one is exact in float32, else as float64.
struct ExportSamples: SliceSamples {
    let volume: Volume
    let type: SampleType
    /// Per slice (slope, intercept) as integers, when every slice's are integers.
    private let integerRescale: [(slope: Int, intercept: Int)]?

    init(_ volume: Volume) {
        self.volume = volume
        let ints = volume.rescale.map(\.integerParts)
        if ints.allSatisfy({ $0 != nil }) {
            let ranges = volume.samples.visit(SliceRanges(slices: volume.geometry.slices, perSlice: volume.geometry.voxelsPerSlice))
            var fits = true
            for (k, r) in ranges.enumerated() where r.lo <= r.hi {
                let (a, b) = ints[k]!
                let x = r.lo * a + b, y = r.hi * a + b
                if min(x, y) < Int(Int16.min) || max(x, y) > Int(Int16.max) { fits = false; break }
            }
            if fits {
                (type, integerRescale) = (.int16, ints.map { $0! })
                return
            }
        }
        integerRescale = nil
        var type = SampleType.float32
        for i in 0..<volume.geometry.voxelCount {
            let h = volume.hu(at: i)
            if Double(Float(h)) != h { type = .float64; break }
        }
        self.type = type
    }

    var geometry: VolumeGeometry { volume.geometry }

    func write(slices: Range<Int>, to out: UnsafeMutableRawPointer) {
        let n = volume.geometry.voxelsPerSlice
        let bytes = n * type.size
        let box = SharedBuffer(UnsafeMutableBufferPointer(start: out.assumingMemoryBound(to: UInt8.self), count: slices.count * bytes))
        DispatchQueue.concurrentPerform(iterations: slices.count) { s in
            let k = slices.lowerBound + s
            write((k * n)..<((k + 1) * n), to: UnsafeMutableRawPointer(box.buffer.baseAddress! + s * bytes))
        }
    }

    /// Writes samples `range` (element indices) little-endian at `out`.
    func write(_ range: Range<Int>, to out: UnsafeMutableRawPointer) {
        guard !range.isEmpty else { return }
        if let integerRescale {
            volume.samples.visit(IntegerHU(range: range, perSlice: volume.geometry.voxelsPerSlice, rescale: integerRescale, out: out))
            return
        }
        for (o, i) in range.enumerated() {
            let h = volume.hu(at: i)
            if type == .float32 {
                out.storeBytes(of: Float(h).bitPattern.littleEndian, toByteOffset: 4 * o, as: UInt32.self)
            } else {
                out.storeBytes(of: h.bitPattern.littleEndian, toByteOffset: 8 * o, as: UInt64.self)
            }
        }
    }
}

/// The lowest and highest stored value of each slice, slices in parallel.
private struct SliceRanges: VoxelSampleVisitor {
    let slices: Int, perSlice: Int

    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) -> [(lo: Int, hi: Int)] {
        let out = UnsafeMutableBufferPointer<(lo: Int, hi: Int)>.allocate(capacity: slices)
        defer { out.deallocate() }
        let box = SharedBuffer(out), src = SharedConstBuffer(stored)
        DispatchQueue.concurrentPerform(iterations: slices) { k in
            var lo = T.max, hi = T.min
            for i in (k * perSlice)..<((k + 1) * perSlice) {
                let v = src.buffer[i]
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            box.buffer[k] = perSlice == 0 ? (1, 0) : (Int(lo), Int(hi))
        }
        return Array(out)
    }
}

/// HU = stored × slope + intercept in integers, as int16, for a range of elements.
private struct IntegerHU: VoxelSampleVisitor {
    let range: Range<Int>
    let perSlice: Int
    let rescale: [(slope: Int, intercept: Int)]
    let out: UnsafeMutableRawPointer

    func visit<T: FixedWidthInteger & Sendable>(_ stored: UnsafeBufferPointer<T>) {
        let dst = out.bindMemory(to: Int16.self, capacity: range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let k = i / perSlice
            let end = Swift.min(range.upperBound, (k + 1) * perSlice)
            integerHU(stored.baseAddress! + i, count: end - i, rescale: rescale[k], to: dst + (i - range.lowerBound))
            i = end
        }
    }
}

/// HU = stored × slope + intercept in integers, written as little-endian int16 (the caller has
/// checked that every value fits). `out` may be `stored` itself: each value is read before its
/// place is written.
@inlinable
public func integerHU<T: FixedWidthInteger>(_ stored: UnsafePointer<T>, count: Int, rescale: (slope: Int, intercept: Int),
                                            to out: UnsafeMutablePointer<Int16>) {
    let (a, b) = rescale
    if a == 1 {
        for i in 0..<count { out[i] = Int16(truncatingIfNeeded: Int(stored[i]) &+ b).littleEndian }
    } else {
        for i in 0..<count { out[i] = Int16(truncatingIfNeeded: Int(stored[i]) &* a &+ b).littleEndian }
    }
}
