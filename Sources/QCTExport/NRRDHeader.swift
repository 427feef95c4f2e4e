import QCTCore

/// NRRD (teem, format version 4) header for an HU volume in DICOM LPS space.
enum NRRDHeader {
    static func text(_ g: VolumeGeometry, _ type: SampleType) -> String {
        let typeName: String
        switch type {
        case .int16: typeName = "short"
        case .float32: typeName = "float"
        case .float64: typeName = "double"
        }
        func vec(_ v: Vector3) -> String { "(\(fmt(v.x)),\(fmt(v.y)),\(fmt(v.z)))" }
        return """
            NRRD0004
            # HU (stored value x Rescale Slope + Rescale Intercept), written by qct
            type: \(typeName)
            dimension: 3
            space: left-posterior-superior
            sizes: \(g.columns) \(g.rows) \(g.slices)
            space directions: \(vec(g.rowDirection * g.columnSpacing)) \(vec(g.columnDirection * g.rowSpacing)) \(vec(g.sliceStep))
            kinds: domain domain domain
            endian: little
            encoding: raw
            space origin: \(vec(g.origin))
            space units: "mm" "mm" "mm"


            """
    }
}

/// Shortest exact decimal text of a double.
func fmt(_ v: Double) -> String { v == 0 ? "0" : "\(v)" }
