/// Where every voxel of a volume lies in patient space (DICOM LPS, mm).
///
/// Voxel (i, j, k) — column, row, slice — sits at
/// `origin + i·columnSpacing·rowDirection + j·rowSpacing·columnDirection + k·sliceStep`.
public struct VolumeGeometry: Hashable, Codable, Sendable {
    /// Number of columns (i), rows (j) and slices (k).
    public var columns: Int
    public var rows: Int
    public var slices: Int
    /// Centre-to-centre distance between adjacent columns, mm (second value of Pixel Spacing).
    public var columnSpacing: Double
    /// Centre-to-centre distance between adjacent rows, mm (first value of Pixel Spacing).
    public var rowSpacing: Double
    /// Centre of voxel (0, 0, 0), mm.
    public var origin: Vector3
    /// Unit direction of increasing column index (first triplet of Image Orientation).
    public var rowDirection: Vector3
    /// Unit direction of increasing row index (second triplet of Image Orientation).
    public var columnDirection: Vector3
    /// Vector from one slice's origin to the next, mm. Equals the slice normal
    /// times the spacing, except for gantry-tilted series.
    public var sliceStep: Vector3

    public init(columns: Int, rows: Int, slices: Int, columnSpacing: Double, rowSpacing: Double,
                origin: Vector3, rowDirection: Vector3, columnDirection: Vector3, sliceStep: Vector3) {
        self.columns = columns
        self.rows = rows
        self.slices = slices
        self.columnSpacing = columnSpacing
        self.rowSpacing = rowSpacing
        self.origin = origin
        self.rowDirection = rowDirection
        self.columnDirection = columnDirection
        self.sliceStep = sliceStep
    }

    /// Unit normal of the image plane (row × column direction).
    public var normal: Vector3 { rowDirection.cross(columnDirection).normalized }
    /// Distance between slice planes along the normal, mm.
    public var sliceSpacing: Double { abs(sliceStep.dot(normal)) }
    public var voxelsPerSlice: Int { rows * columns }
    public var voxelCount: Int { rows * columns * slices }

    /// Patient-space centre of voxel (i, j, k), mm.
    public func position(column i: Double, row j: Double, slice k: Double) -> Vector3 {
        origin + rowDirection * (i * columnSpacing) + columnDirection * (j * rowSpacing) + sliceStep * k
    }
}
