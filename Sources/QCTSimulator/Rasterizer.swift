import QCTCore
import Dispatch

/// Renders the scene's HU, noise- and blur-free, with partial volume.
///
/// Every shape is a prism along z, so the in-plane picture is constant
/// between consecutive z boundaries of the shapes. Each such interval is
/// rendered once (pixels straddling a boundary are supersampled), and a
/// slice averages the intervals its slab overlaps, weighted by overlap.
struct Rasterizer: Sendable {
    let scene: SceneModel
    let columns: Int
    let rows: Int
    /// Patient x, y of pixel (0, 0)'s centre, mm.
    let x0: Double
    let y0: Double
    let spacing: Double
    let supersampling: Int

    /// Sorted z boundaries of all shapes; a sheared (tilted) shape adds one
    /// every `shearStepMM` over its z range, so its drift is drawn in steps.
    var boundaries: [Double] {
        var b = Set(scene.shapes.flatMap { [$0.zRange.lowerBound, $0.zRange.upperBound] })
        for s in scene.shapes where s.isSheared {
            var z = s.zRange.lowerBound + Rasterizer.shearStepMM
            while z < s.zRange.upperBound { b.insert(z); z += Rasterizer.shearStepMM }
        }
        return b.sorted()
    }

    /// z step at which a tilted shape's section is redrawn, mm (its drift per step is below 0.2 mm for tilts up to 10°).
    static let shearStepMM = 1.0

    /// Intervals (between boundaries, plus the outside) overlapped by a slab, with weights.
    func weights(slab: ClosedRange<Double>, boundaries b: [Double]) -> [(z: Double, weight: Double)] {
        let width = slab.upperBound - slab.lowerBound
        guard width > 0 else { return [(slab.lowerBound, 1)] }
        var edges = [slab.lowerBound] + b.filter { $0 > slab.lowerBound && $0 < slab.upperBound } + [slab.upperBound]
        edges.sort()
        return zip(edges, edges.dropFirst()).compactMap { a, c in
            c > a ? ((a + c) / 2, (c - a) / width) : nil
        }
    }

    /// Index of the top-most shape covering (x, y) at height z, or −1 (air).
    @inline(__always)
    func top(_ active: [Int], x: Double, y: Double, z: Double) -> Int {
        for i in active.reversed() where scene.shapes[i].contains(x: x, y: y, z: z) { return i }
        return -1
    }

    /// HU picture of the interval containing height z (row-major, rows × columns).
    ///
    /// With `base`, the picture of another height whose unsheared shapes are
    /// the same, only the pixels a sheared (tilted) shape can reach at either
    /// height are drawn again; the rest is copied.
    func render(z: Double, base: (z: Double, pixels: [Double])? = nil) -> [Double] {
        let active = scene.shapes.indices.filter { scene.shapes[$0].zRange.contains(z) }
        var region = (i0: 0, i1: columns - 1, j0: 0, j1: rows - 1)
        var out: [Double]
        if let base, base.pixels.count == columns * rows,
           active.filter({ !scene.shapes[$0].isSheared }) == scene.shapes.indices.filter({ scene.shapes[$0].zRange.contains(base.z) && !scene.shapes[$0].isSheared }) {
            let sheared = scene.shapes.indices.filter { scene.shapes[$0].isSheared && (scene.shapes[$0].zRange.contains(z) || scene.shapes[$0].zRange.contains(base.z)) }
            out = base.pixels
            guard !sheared.isEmpty else { return out }
            let minX = sheared.map { scene.shapes[$0].minX }.min()!, maxX = sheared.map { scene.shapes[$0].maxX }.max()!
            let minY = sheared.map { scene.shapes[$0].minY }.min()!, maxY = sheared.map { scene.shapes[$0].maxY }.max()!
            region = (max(0, Int(((minX - x0) / spacing).rounded(.down)) - 2), min(columns - 1, Int(((maxX - x0) / spacing).rounded(.up)) + 2),
                      max(0, Int(((minY - y0) / spacing).rounded(.down)) - 2), min(rows - 1, Int(((maxY - y0) / spacing).rounded(.up)) + 2))
            guard region.i0 <= region.i1, region.j0 <= region.j1 else { return out }
        } else {
            out = [Double](repeating: scene.airHU, count: columns * rows)
        }
        let cols = columns
        let w = region.i1 - region.i0 + 1, h = region.j1 - region.j0 + 1
        let (i0, j0) = (region.i0, region.j0)
        // Shape index at every pixel corner of the region.
        var corners = [Int32](repeating: -1, count: (w + 1) * (h + 1))
        corners.withUnsafeMutableBufferPointer { c in
            let box = SharedBuffer(c)
            DispatchQueue.concurrentPerform(iterations: h + 1) { jj in
                let y = y0 + (Double(j0 + jj) - 0.5) * spacing
                for ii in 0...w {
                    box.buffer[jj * (w + 1) + ii] = Int32(top(active, x: x0 + (Double(i0 + ii) - 0.5) * spacing, y: y, z: z))
                }
            }
        }
        let n = supersampling
        out.withUnsafeMutableBufferPointer { o in
            let box = SharedBuffer(o)
            corners.withUnsafeBufferPointer { c in
                let cbox = SharedConstBuffer(c)
                DispatchQueue.concurrentPerform(iterations: h) { jj in
                    let j = j0 + jj
                    for ii in 0..<w {
                        let i = i0 + ii
                        let a = cbox.buffer[jj * (w + 1) + ii], b = cbox.buffer[jj * (w + 1) + ii + 1]
                        let d = cbox.buffer[(jj + 1) * (w + 1) + ii], e = cbox.buffer[(jj + 1) * (w + 1) + ii + 1]
                        let centre = top(active, x: x0 + Double(i) * spacing, y: y0 + Double(j) * spacing, z: z)
                        if a == b, a == d, a == e, Int32(centre) == a {
                            box.buffer[j * cols + i] = a < 0 ? scene.airHU : scene.shapes[Int(a)].hu
                            continue
                        }
                        var sum = 0.0
                        for sj in 0..<n {
                            let y = y0 + (Double(j) - 0.5 + (Double(sj) + 0.5) / Double(n)) * spacing
                            for si in 0..<n {
                                let x = x0 + (Double(i) - 0.5 + (Double(si) + 0.5) / Double(n)) * spacing
                                let k = top(active, x: x, y: y, z: z)
                                sum += k < 0 ? scene.airHU : scene.shapes[k].hu
                            }
                        }
                        box.buffer[j * cols + i] = sum / Double(n * n)
                    }
                }
            }
        }
        return out
    }
}
