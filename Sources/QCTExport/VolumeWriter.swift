import Foundation
import QCTCore

/// Why a volume could not be written.
public struct VolumeWriteError: Error, CustomStringConvertible {
    public var description: String
}

/// Writes HU volumes that 3D Slicer and ITK place correctly in patient space.
public enum VolumeWriter {
    public static func write(_ volume: Volume, to path: String) throws {
        guard let format = VolumeFormat(path: path) else {
            throw VolumeWriteError(description: "unsupported output extension (use .nrrd, .nii or .nii.gz)")
        }
        let samples = HUSamples(volume)
        let data: [UInt8]
        switch format {
        case .nrrd:
            data = Array(NRRDHeader.text(volume.geometry, samples.type).utf8) + samples.bytes
            try writeAtomically(data, to: path)
        case .nifti:
            data = NIfTIHeader.bytes(volume.geometry, samples.type) + samples.bytes
            try writeAtomically(data, to: path)
        case .niftiGzip:
            data = NIfTIHeader.bytes(volume.geometry, samples.type) + samples.bytes
            try writeAtomically(try Gzip.compress(data), to: path)
        }
    }

    /// Writes to a temporary file beside `path`, then renames it into place,
    /// so an interrupted export never leaves a half-written volume.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw VolumeWriteError(description: "cannot write: \(error.localizedDescription)")
        }
    }
}
