import QCTCore

/// The HU values of a volume, encoded little-endian in the narrowest exact type.
struct HUSamples {
    let type: SampleType
    let bytes: [UInt8]

    init(_ volume: Volume) {
        let n = volume.geometry.voxelCount
        var type = SampleType.int16
        for i in 0..<n {
            let h = volume.hu(at: i)
            if type == .int16, h == h.rounded(), h >= -32768, h <= 32767 { continue }
            if Double(Float(h)) == h { type = .float32 } else { type = .float64; break }
        }
        self.type = type
        var out = [UInt8](repeating: 0, count: n * type.size)
        out.withUnsafeMutableBytes { raw in
            switch type {
            case .int16:
                let p = raw.bindMemory(to: Int16.self)
                for i in 0..<n { p[i] = Int16(volume.hu(at: i)).littleEndian }
            case .float32:
                let p = raw.bindMemory(to: UInt32.self)
                for i in 0..<n { p[i] = Float(volume.hu(at: i)).bitPattern.littleEndian }
            case .float64:
                let p = raw.bindMemory(to: UInt64.self)
                for i in 0..<n { p[i] = volume.hu(at: i).bitPattern.littleEndian }
            }
        }
        bytes = out
    }
}
