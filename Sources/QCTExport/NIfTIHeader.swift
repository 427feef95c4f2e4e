import QCTCore

/// NIfTI-1 single-file header (348 bytes + 4-byte extension flag).
///
/// NIfTI's world space is RAS: x and y of DICOM's LPS change sign. The
/// full affine goes into the sform (code 1, scanner anatomical); the qform
/// carries the same rotation as a quaternion when the axes are orthogonal.
enum NIfTIHeader {
    static func bytes(_ g: VolumeGeometry, _ type: SampleType) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 352)
        func i16(_ o: Int, _ v: Int16) { withUnsafeBytes(of: v.littleEndian) { h.replaceSubrange(o..<o + 2, with: $0) } }
        func i32(_ o: Int, _ v: Int32) { withUnsafeBytes(of: v.littleEndian) { h.replaceSubrange(o..<o + 4, with: $0) } }
        func f32(_ o: Int, _ v: Double) {
            withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { h.replaceSubrange(o..<o + 4, with: $0) }
        }
        i32(0, 348)
        // dim
        i16(40, 3); i16(42, Int16(g.columns)); i16(44, Int16(g.rows)); i16(46, Int16(g.slices))
        i16(48, 1); i16(50, 1); i16(52, 1); i16(54, 1)
        let (code, bits): (Int16, Int16) = {
            switch type {
            case .int16: return (4, 16)
            case .float32: return (16, 32)
            case .float64: return (64, 64)
            }
        }()
        i16(70, code); i16(72, bits)
        // Columns of the affine (RAS), one per voxel axis.
        let ras = { (v: Vector3) in Vector3(-v.x, -v.y, v.z) }
        let a0 = ras(g.rowDirection * g.columnSpacing)
        let a1 = ras(g.columnDirection * g.rowSpacing)
        let a2 = ras(g.sliceStep)
        let o = ras(g.origin)
        // Quaternion of the rotation (qfac handles a left-handed slice axis).
        let r0 = a0.normalized, r1 = a1.normalized
        var r2 = r0.cross(r1)
        let qfac: Double = r2.dot(a2) < 0 ? -1 : 1
        r2 = r2 * qfac
        f32(76, qfac)
        f32(80, g.columnSpacing); f32(84, g.rowSpacing); f32(88, g.sliceStep.length)
        f32(108, 352) // vox_offset
        f32(112, 0); f32(116, 0) // scl_slope 0: values are HU as stored
        h[123] = 2 | 8 // xyzt_units: mm, s
        let orthogonal = abs(r0.dot(r1)) < 1e-4 && a2.normalized.cross(r2).length < 1e-4
        i16(252, orthogonal ? 1 : 0) // qform_code
        i16(254, 1) // sform_code
        if orthogonal {
            let (b, c, d) = quaternion(r0, r1, r2)
            f32(256, b); f32(260, c); f32(264, d)
            f32(268, o.x); f32(272, o.y); f32(276, o.z)
        }
        let rows = [(a0.x, a1.x, a2.x, o.x), (a0.y, a1.y, a2.y, o.y), (a0.z, a1.z, a2.z, o.z)]
        for (r, row) in rows.enumerated() {
            let base = 280 + r * 16
            f32(base, row.0); f32(base + 4, row.1); f32(base + 8, row.2); f32(base + 12, row.3)
        }
        let magic = Array("n+1\0".utf8)
        h.replaceSubrange(344..<348, with: magic)
        return h
    }

    /// (b, c, d) of the unit quaternion for rotation matrix columns r0 r1 r2
    /// (NIfTI-1 nifti_mat44_to_quatern, a = sqrt(1 + trace) / 2 branch and its alternatives).
    static func quaternion(_ r0: Vector3, _ r1: Vector3, _ r2: Vector3) -> (Double, Double, Double) {
        let (xx, yx, zx) = (r0.x, r0.y, r0.z)
        let (xy, yy, zy) = (r1.x, r1.y, r1.z)
        let (xz, yz, zz) = (r2.x, r2.y, r2.z)
        var a = xx + yy + zz + 1
        var b, c, d: Double
        if a > 0.5 {
            a = 0.5 * a.squareRoot()
            b = 0.25 * (zy - yz) / a
            c = 0.25 * (xz - zx) / a
            d = 0.25 * (yx - xy) / a
        } else {
            let xd = 1 + xx - (yy + zz), yd = 1 + yy - (xx + zz), zd = 1 + zz - (xx + yy)
            if xd > 1 {
                b = 0.5 * xd.squareRoot(); c = 0.25 * (xy + yx) / b; d = 0.25 * (xz + zx) / b; a = 0.25 * (zy - yz) / b
            } else if yd > 1 {
                c = 0.5 * yd.squareRoot(); b = 0.25 * (xy + yx) / c; d = 0.25 * (yz + zy) / c; a = 0.25 * (xz - zx) / c
            } else {
                d = 0.5 * zd.squareRoot(); b = 0.25 * (xz + zx) / d; c = 0.25 * (yz + zy) / d; a = 0.25 * (yx - xy) / d
            }
            if a < 0 { b = -b; c = -c; d = -d }
        }
        return (b, c, d)
    }
}
