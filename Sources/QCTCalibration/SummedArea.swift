import QCTCore

/// Summed-area tables of an image's non-air pixels (Crow, SIGGRAPH 1984): the
/// sum of their HU and their count over any box in constant time.
struct SummedArea {
    let columns: Int
    let rows: Int
    /// (rows + 1) × (columns + 1) corners: sum of the non-air HU above and left of each.
    let sums: [Double]
    /// The same for the count of non-air pixels.
    let counts: [Double]

    init(_ image: SlabImage) {
        let columns = image.columns, rows = image.rows
        self.columns = columns
        self.rows = rows
        let w = columns + 1
        var s = [Double](repeating: 0, count: (rows + 1) * w)
        var n = [Double](repeating: 0, count: (rows + 1) * w)
        image.pixels.withUnsafeBufferPointer { px in
            s.withUnsafeMutableBufferPointer { s in
                n.withUnsafeMutableBufferPointer { n in
                    for j in 0..<rows {
                        var runSum = 0.0, runCount = 0.0
                        for i in 0..<columns {
                            let v = px[j * columns + i]
                            if v >= SlabImage.airBelow {
                                runSum += v
                                runCount += 1
                            }
                            s[(j + 1) * w + i + 1] = s[j * w + i + 1] + runSum
                            n[(j + 1) * w + i + 1] = n[j * w + i + 1] + runCount
                        }
                    }
                }
            }
        }
        sums = s
        counts = n
    }

    /// A box clamped to the image: the sum and count of its non-air pixels and its area (0 when
    /// nothing is left). Corners are combined as ((p − q) − d) + e, the order every reader keeps.
    @inline(__always)
    static func box(_ s: UnsafeBufferPointer<Double>, _ n: UnsafeBufferPointer<Double>, columns: Int, rows: Int,
                    _ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> (sum: Double, body: Double, area: Int) {
        let x0 = max(0, i0), y0 = max(0, j0), x1 = min(columns - 1, i1), y1 = min(rows - 1, j1)
        guard x1 >= x0, y1 >= y0 else { return (0, 0, 0) }
        let w = columns + 1
        let p = (y1 + 1) * w + x1 + 1, q = y0 * w + x1 + 1, d = (y1 + 1) * w + x0, e = y0 * w + x0
        return (s[p] - s[q] - s[d] + s[e], n[p] - n[q] - n[d] + n[e], (x1 - x0 + 1) * (y1 - y0 + 1))
    }

    /// The same box at every column `x0 ..< x0 + count` of one band of rows, for boxes wholly
    /// inside the image: `top` and `bottom` are the table rows (y0 and y1 + 1), the box spans
    /// columns x … x + width − 1. Written to `sum` and `body` (vectorised: no clamping).
    @inline(__always)
    static func boxes(_ t: UnsafeBufferPointer<Double>, top: Int, bottom: Int, x0: Int, width: Int, count: Int,
                      into out: UnsafeMutablePointer<Double>) {
        let w = width
        for q in 0..<count {
            let x = x0 &+ q
            out[q] = t[bottom &+ x &+ w] - t[top &+ x &+ w] - t[bottom &+ x] + t[top &+ x]
        }
    }
}
