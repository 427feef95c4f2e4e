import QCTCore

/// The samples of a volume file, produced a run of slices at a time: from a volume in memory
/// (`ExportSamples`), or decoded from the files as they are written, so that no volume is held.
public protocol SliceSamples: Sendable {
    var geometry: VolumeGeometry { get }
    var type: SampleType { get }
    /// Writes the samples of `slices` (little-endian, `type`) at `out`, slice after slice.
    func write(slices: Range<Int>, to out: UnsafeMutableRawPointer) throws
}

extension SliceSamples {
    /// Bytes of one slice's samples.
    var sliceBytes: Int { geometry.voxelsPerSlice * type.size }
}
