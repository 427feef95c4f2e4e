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

    init(shape: Shape, hu: Double, rotationDegrees: Double, translation: [Double]) {
        self.shape = shape
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
        let ex = abs(hx * cosA) + abs(hy * sinA), ey = abs(hx * sinA) + abs(hy * cosA)
        minX = cx - ex
        maxX = cx + ex
        minY = cy - ey
        maxY = cy + ey
    }

    @inline(__always)
    func contains(x: Double, y: Double) -> Bool {
        guard x >= minX, x <= maxX, y >= minY, y <= maxY else { return false }
        let dx = x - tx, dy = y - ty
        return shape.contains(x: dx * cosA + dy * sinA, y: -dx * sinA + dy * cosA)
    }

    /// Patient-frame centre of the section.
    var centerPatient: (Double, Double) {
        (shape.center[0] * cosA - shape.center[1] * sinA + tx, shape.center[0] * sinA + shape.center[1] * cosA + ty)
    }
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
