import Foundation

/// A 2-D mask with the morphology vertebra localization needs: opening by a
/// disc (through exact Euclidean distance transforms), hole filling and
/// connected components with their moments.
struct BinaryImage: Sendable {
    let columns: Int
    let rows: Int
    var pixels: [Bool]

    init(columns: Int, rows: Int, pixels: [Bool]) {
        self.columns = columns
        self.rows = rows
        self.pixels = pixels
    }

    /// Pixels farther than `radius` pixels from every background pixel (erosion by a disc).
    func eroded(radius: Double) -> BinaryImage {
        let d = BinaryImage.squaredDistance(to: pixels.map { !$0 }, columns: columns, rows: rows)
        return BinaryImage(columns: columns, rows: rows, pixels: d.map { $0 > radius * radius })
    }

    /// Pixels within `radius` pixels of a foreground pixel (dilation by a disc).
    func dilated(radius: Double) -> BinaryImage {
        let d = BinaryImage.squaredDistance(to: pixels, columns: columns, rows: rows)
        return BinaryImage(columns: columns, rows: rows, pixels: d.map { $0 <= radius * radius })
    }

    /// Opening by a disc: removes every part narrower than 2·radius pixels.
    func opened(radius: Double) -> BinaryImage { eroded(radius: radius).dilated(radius: radius) }

    /// Background regions that do not reach the image border become foreground.
    func holesFilled() -> BinaryImage {
        guard columns > 0, rows > 0, pixels.count == columns * rows else { return self }
        var outside = [Bool](repeating: false, count: pixels.count)
        var stack: [Int] = []
        func push(_ p: Int) {
            if !pixels[p], !outside[p] { outside[p] = true; stack.append(p) }
        }
        for i in 0..<columns { push(i); push((rows - 1) * columns + i) }
        for j in 0..<rows { push(j * columns); push(j * columns + columns - 1) }
        while let p = stack.popLast() {
            let i = p % columns, j = p / columns
            if i > 0 { push(p - 1) }
            if i < columns - 1 { push(p + 1) }
            if j > 0 { push(p - columns) }
            if j < rows - 1 { push(p + columns) }
        }
        return BinaryImage(columns: columns, rows: rows, pixels: outside.map { !$0 })
    }

    /// 4-connected components with area and second moments (pixel units).
    func components() -> [Blob] { labelled().1 }

    /// Squared distance (pixels²) from every pixel to the nearest `true` of
    /// `sites` (Felzenszwalb & Huttenlocher, Theory of Computing 2012: lower
    /// envelope of parabolas, one pass per axis).
    static func squaredDistance(to sites: [Bool], columns: Int, rows: Int) -> [Double] {
        let inf = 1e20
        var d = sites.map { $0 ? 0.0 : inf }
        let m = max(columns, rows)
        // Scratch for one line: its values, the envelope's parabolas and their boundaries, the result.
        var f = [Double](repeating: 0, count: m), out = [Double](repeating: 0, count: m)
        var v = [Int](repeating: 0, count: m), z = [Double](repeating: 0, count: m + 1)
        f.withUnsafeMutableBufferPointer { f in
          out.withUnsafeMutableBufferPointer { out in
            v.withUnsafeMutableBufferPointer { v in
              z.withUnsafeMutableBufferPointer { z in
                d.withUnsafeMutableBufferPointer { d in
                    func pass(count n: Int) {
                        var k = 0
                        v[0] = 0
                        z[0] = -inf
                        z[1] = inf
                        if n > 1 {
                            for q in 1..<n {
                                var s = ((f[q] + Double(q * q)) - (f[v[k]] + Double(v[k] * v[k]))) / Double(2 * q - 2 * v[k])
                                while s <= z[k] {
                                    k -= 1
                                    s = ((f[q] + Double(q * q)) - (f[v[k]] + Double(v[k] * v[k]))) / Double(2 * q - 2 * v[k])
                                }
                                k += 1
                                v[k] = q
                                z[k] = s
                                z[k + 1] = inf
                            }
                        }
                        k = 0
                        for q in 0..<n {
                            while z[k + 1] < Double(q) { k += 1 }
                            let dq = Double(q - v[k])
                            out[q] = dq * dq + f[v[k]]
                        }
                    }
                    for i in 0..<columns {
                        for j in 0..<rows { f[j] = d[j * columns + i] }
                        pass(count: rows)
                        for j in 0..<rows { d[j * columns + i] = out[j] }
                    }
                    for j in 0..<rows {
                        for i in 0..<columns { f[i] = d[j * columns + i] }
                        pass(count: columns)
                        for i in 0..<columns { d[j * columns + i] = out[i] }
                    }
                }
              }
            }
          }
        }
        return d
    }
}

/// A connected region: area, centroid and the ellipse of equal second moments.
struct Blob: Sendable {
    var n = 0.0, si = 0.0, sj = 0.0, sii = 0.0, sjj = 0.0, sij = 0.0

    mutating func add(i: Double, j: Double) {
        n += 1; si += i; sj += j; sii += i * i; sjj += j * j; sij += i * j
    }

    var area: Double { n }
    var centroid: (i: Double, j: Double) { (si / n, sj / n) }

    /// Semi-axes (a ≥ b, pixels) and the angle of the major axis (radians,
    /// from the column axis) of the uniform ellipse with these moments.
    var ellipse: (a: Double, b: Double, angle: Double) {
        let (ci, cj) = centroid
        let vii = sii / n - ci * ci, vjj = sjj / n - cj * cj, vij = sij / n - ci * cj
        let tr = vii + vjj, det = vii * vjj - vij * vij
        let disc = max(0, tr * tr / 4 - det).squareRoot()
        let l1 = tr / 2 + disc, l2 = max(0, tr / 2 - disc)
        // A uniform ellipse with semi-axes a, b has variances a²/4 and b²/4.
        return (2 * l1.squareRoot(), 2 * l2.squareRoot(), 0.5 * atan2(2 * vij, vii - vjj))
    }
}
