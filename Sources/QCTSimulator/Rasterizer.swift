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

    /// Sorted z boundaries of all shapes.
    var boundaries: [Double] {
        Array(Set(scene.shapes.flatMap { [$0.zRange.lowerBound, $0.zRange.upperBound] })).sorted()
    }

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
    func top(_ active: [Int], x: Double, y: Double) -> Int {
        for i in active.reversed() where scene.shapes[i].contains(x: x, y: y) { return i }
        return -1
    }

    /// HU picture of the interval containing height z (row-major, rows × columns).
    func render(z: Double) -> [Double] {
        let active = scene.shapes.indices.filter { scene.shapes[$0].zRange.contains(z) }
        let cols = columns, rws = rows
        // Shape index at every pixel corner.
        var corners = [Int32](repeating: -1, count: (cols + 1) * (rws + 1))
        corners.withUnsafeMutableBufferPointer { c in
            let box = SharedBuffer(c)
            DispatchQueue.concurrentPerform(iterations: rws + 1) { j in
                let y = y0 + (Double(j) - 0.5) * spacing
                for i in 0...cols {
                    box.buffer[j * (cols + 1) + i] = Int32(top(active, x: x0 + (Double(i) - 0.5) * spacing, y: y))
                }
            }
        }
        var out = [Double](repeating: scene.airHU, count: cols * rws)
        let n = supersampling
        out.withUnsafeMutableBufferPointer { o in
            let box = SharedBuffer(o)
            corners.withUnsafeBufferPointer { c in
                let cbox = SharedConstBuffer(c)
                DispatchQueue.concurrentPerform(iterations: rws) { j in
                    for i in 0..<cols {
                        let a = cbox.buffer[j * (cols + 1) + i], b = cbox.buffer[j * (cols + 1) + i + 1]
                        let d = cbox.buffer[(j + 1) * (cols + 1) + i], e = cbox.buffer[(j + 1) * (cols + 1) + i + 1]
                        let centre = top(active, x: x0 + Double(i) * spacing, y: y0 + Double(j) * spacing)
                        if a == b, a == d, a == e, Int32(centre) == a {
                            box.buffer[j * cols + i] = a < 0 ? scene.airHU : scene.shapes[Int(a)].hu
                            continue
                        }
                        var sum = 0.0
                        for sj in 0..<n {
                            let y = y0 + (Double(j) - 0.5 + (Double(sj) + 0.5) / Double(n)) * spacing
                            for si in 0..<n {
                                let x = x0 + (Double(i) - 0.5 + (Double(si) + 0.5) / Double(n)) * spacing
                                let k = top(active, x: x, y: y)
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


