#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QCTPhantoms
import QCTPhysics

/// One shape of the scene, placed in patient coordinates, with its CT number.
struct PlacedShape: Sendable {
    let shape: Shape
    /// HU of its material on the simulated scanner.
    let hu: Double
    /// Phantom-frame ← patient-frame transform: q = Rᵀ (p − t).
    let cosA: Double
    let sinA: Double
    let tx: Double
    let ty: Double
    /// Patient z interval covered.
    let zRange: ClosedRange<Double>
    /// Patient-plane bounding box.
    let minX: Double, maxX: Double, minY: Double, maxY: Double
    /// Shear along z in the phantom frame (a tilted column): at patient z the
    /// section is displaced by shear · (z − tz), mm per mm.
    let shearX: Double, shearY: Double
    let tz: Double

    init(shape: Shape, hu: Double, rotationDegrees: Double, translation: [Double], shear: [Double] = [0, 0]) {
        self.shape = shape
        shearX = shear.count > 0 ? shear[0] : 0
        shearY = shear.count > 1 ? shear[1] : 0
        tz = translation.count > 2 ? translation[2] : 0
        self.hu = hu
        let a = rotationDegrees * Double.pi / 180
        cosA = cos(a)
        sinA = sin(a)
        tx = translation[0]
        ty = translation[1]
        zRange = (shape.zRange.lowerBound + translation[2])...(shape.zRange.upperBound + translation[2])
        // Bounding box of the rotated section (conservative: rotated rectangle).
        let (hx, hy) = shape.halfExtents
        let cx = shape.center[0] * cosA - shape.center[1] * sinA + tx
        let cy = shape.center[0] * sinA + shape.center[1] * cosA + ty
        // A sheared prism sweeps its section over its z range.
        let reach = max(abs(zRange.lowerBound - tz), abs(zRange.upperBound - tz)) * max(abs(shearX), abs(shearY)) * 1.5
        let ex = abs(hx * cosA) + abs(hy * sinA) + reach, ey = abs(hx * sinA) + abs(hy * cosA) + reach
        minX = cx - ex
        maxX = cx + ex
        minY = cy - ey
        maxY = cy + ey
    }

    var isSheared: Bool { shearX != 0 || shearY != 0 }

    @inline(__always)
    func contains(x: Double, y: Double, z: Double) -> Bool {
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return false }
        let dx = x - tx, dy = y - ty
        let u = dx * cosA + dy * sinA, w = -dx * sinA + dy * cosA
        if isSheared { return shape.contains(x: u - shearX * (z - tz), y: w - shearY * (z - tz)) }
        return shape.contains(x: u, y: w)
    }

    /// Patient-frame centre of the section at patient z.
    func centerPatient(z: Double) -> (Double, Double) {
        let px = shape.center[0] + shearX * (z - tz), py = shape.center[1] + shearY * (z - tz)
        return (px * cosA - py * sinA + tx, px * sinA + py * cosA + ty)
    }

    /// Patient-frame centre of the section at the middle of its z range.
    var centerPatient: (Double, Double) { centerPatient(z: (zRange.lowerBound + zRange.upperBound) / 2) }
}

/// The scene as shapes in drawing order, and what truth needs about each insert.
struct SceneModel: Sendable {
    var shapes: [PlacedShape]
    var inserts: [InsertTruth]
    var phantoms: [PhantomTruth]
    /// HU of air (background).
    var airHU: Double
    /// Which shapes are phantom bodies.
    var bodyIndices: Set<Int> = []
}
