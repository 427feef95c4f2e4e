import Dispatch
import QCTCore

/// A round blob of rod size in one slab: a local extremum of box contrast.
struct RodCandidate: Sendable {
    /// Pixel position (column, row) in the slab image, sub-pixel.
    var i: Double
    var j: Double
    /// Inner mean minus surrounding ring mean, HU.
    var contrast: Double
    /// Radius of the filter scale that answered best, slab pixels.
    var scale: Double
}

/// Finds rod-sized round blobs, bright or dark, with box filters at several
/// scales (radii spaced by 1.5×, so every radius in the layout's range lies
/// within the ±30 % a box filter tolerates).
///
/// Contrast = mean of a box inscribed in the rod minus the mean of the ring
/// between 1.2 and 1.55 radii (close, so a rod in a thin pad still has a
/// surround of pad), read from a summed-area table. The ring is four arms of
/// a cross, each as wide as the rod (the corners, where a thin pad ends
/// first, are left out). Boxes are clamped to the
/// image, so a rod cut by the edge of the field of view still answers from the
/// sides that remain. The surround is the sides that agree with one another
/// (all four, three, or an opposite pair: a rod in a thin pad has pad only
/// beside it); a plate passes this test across and is rejected by its shape
/// (`RodShape`), an edge gives no contrast against the pair along it.
enum RodCandidateFinder {
    /// The surround of a box: the mean of the largest set of sides (all four, three, or an opposite
    /// pair) that agree within half the contrast they give plus 4 noise SDs; nil when none does.
    @inline(__always)
    static func agreeingSurround(_ sides: (Double?, Double?, Double?, Double?), inner: Double, noise: Double) -> Double? {
        @inline(__always) func at(_ k: Int) -> Double? {
            switch k { case 0: return sides.0; case 1: return sides.1; case 2: return sides.2; default: return sides.3 }
        }
        var best: (n: Int, ring: Double, spread: Double)?
        for mask in [15, 7, 11, 13, 14, 3, 12] {
            var n = 0, total = 0.0, lo = Double.infinity, hi = -Double.infinity
            var complete = true
            for k in 0..<4 where mask & (1 << k) != 0 {
                guard let v = at(k) else { complete = false; break }
                n += 1; total += v; lo = min(lo, v); hi = max(hi, v)
            }
            guard complete, n >= 2 else { continue }
            let ring = total / Double(n)
            guard hi - lo < 0.5 * abs(inner - ring) + 4 * noise else { continue }
            // More sides first; among equals, the sides that agree best.
            if best == nil || n > best!.n || (n == best!.n && hi - lo < best!.spread) { best = (n, ring, hi - lo) }
            if n == 4 { break }
        }
        return best?.ring
    }

    static func scales(radiusPixels range: ClosedRange<Double>) -> [Double] {
        var out: [Double] = []
        var r = max(1.5, range.lowerBound)
        while r < range.upperBound * 1.15 {
            out.append(r)
            r *= 1.5
        }
        if out.isEmpty { out = [max(1.5, range.lowerBound)] }
        return out
    }

    static func find(_ slab: SlabImage, radiusPixels range: ClosedRange<Double>, noise: Double, minimumContrast: Double = 8,
                     sigmas: Double = 6) -> [RodCandidate] {
        let cols = slab.columns, rows = slab.rows
        guard cols > 4, rows > 4 else { return [] }
        let scales = scales(radiusPixels: range)
        var best = [Float](repeating: 0, count: cols * rows)
        var bestScale = [UInt8](repeating: 0, count: cols * rows)
        var thresholds: [Double] = []
        for (si, r) in scales.enumerated() {
            let a = max(1, Int((0.6 * r).rounded()))
            let c = max(a + 1, Int((1.2 * r).rounded()))
            let b = max(c + 2, Int((1.55 * r).rounded()))
            // Noise of the inner mean; blur makes neighbours correlate, so be generous.
            let innerSD = noise / Double(2 * a + 1) * 2.5
            thresholds.append(max(sigmas * innerSD, minimumContrast))
            slab.integral.withUnsafeBufferPointer { table in
              slab.bodyCount.withUnsafeBufferPointer { countTable in
                let integral = SharedConstBuffer(table), bodyCount = SharedConstBuffer(countTable)
                let pixels = slab.pixels
                best.withUnsafeMutableBufferPointer { outBest in
                    bestScale.withUnsafeMutableBufferPointer { outScale in
                        let bestOut = SharedBuffer(outBest), which = SharedBuffer(outScale)
                        let w = cols + 1
                        /// Box over [i0, i1] × [j0, j1] clamped to the image: the sum and count of its
                        /// non-air pixels and its area; nil when nothing is left.
                        @Sendable @inline(__always) func box(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> (sum: Double, body: Int, area: Int)? {
                            let x0 = max(0, i0), y0 = max(0, j0), x1 = min(cols - 1, i1), y1 = min(rows - 1, j1)
                            guard x1 >= x0, y1 >= y0 else { return nil }
                            let t = integral.buffer, c = bodyCount.buffer
                            let a = (y1 + 1) * w + x1 + 1, b = y0 * w + x1 + 1, d = (y1 + 1) * w + x0, e = y0 * w + x0
                            let s = t[a] - t[b] - t[d] + t[e]
                            let n = Int(c[a] - c[b] - c[d] + c[e])
                            return (s, n, (x1 - x0 + 1) * (y1 - y0 + 1))
                        }
                        /// The inner box counts every pixel (air at −1000 HU: an air plug is a rod too); it must be phantom or air, not both.
                        @Sendable @inline(__always) func mean(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> (Double, Int)? {
                            // Part air, part phantom: an edge, not a rod.
                            guard let b = box(i0, j0, i1, j1), b.body * 10 >= b.area * 9 || b.body * 10 <= b.area else { return nil }
                            return ((b.sum - 1000 * Double(b.area - b.body)) / Double(b.area), b.area)
                        }
                        /// A ring arm counts only when it lies in the phantom (90 % of it or more): an arm across the face
                        /// of a thin pad would read the face's partial volume; the arms beside the rod, in the pad, remain.
                        @Sendable @inline(__always) func sideMean(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> (Double, Int)? {
                            guard let b = box(i0, j0, i1, j1), b.body * 10 >= b.area * 9 else { return nil }
                            return (b.sum / Double(b.body), b.area)
                        }
                        let fullSide = (b - c + 1) * (2 * c - 1)
                        DispatchQueue.concurrentPerform(iterations: rows) { j in
                            for i in 0..<cols {
                                // Air all around: nothing to find (rods sit in a body).
                                let centre = pixels[j * cols + i]
                                if centre < -900, pixels[j * cols + min(cols - 1, i + c)] < -900, pixels[j * cols + max(0, i - c)] < -900 { continue }
                                guard let (inner, ni) = mean(i - a, j - a, i + a, j + a), ni * 2 >= (2 * a + 1) * (2 * a + 1) else { continue }
                                // Sides left, right, top, bottom. A rod in a thin pad has pad beside it but air, a
                                // couch or a patient above and below: the sides that agree, at least an opposite pair,
                                // are its surround.
                                @inline(__always) func side(_ m: (Double, Int)?) -> Double? {
                                    guard let (mean, n) = m, n * 2 >= fullSide / 2 else { return nil }
                                    return mean
                                }
                                let sides = (side(sideMean(i - b, j - c + 1, i - c, j + c - 1)), side(sideMean(i + c, j - c + 1, i + b, j + c - 1)),
                                             side(sideMean(i - c + 1, j - b, i + c - 1, j - c)), side(sideMean(i - c + 1, j + c, i + c - 1, j + b)))
                                guard let ring = agreeingSurround(sides, inner: inner, noise: innerSD) else { continue }
                                let k = inner - ring
                                guard ring > -700 || inner > -700 else { continue }
                                let idx = j * cols + i
                                if abs(k) > Double(abs(bestOut.buffer[idx])) {
                                    bestOut.buffer[idx] = Float(k)
                                    which.buffer[idx] = UInt8(si)
                                }
                            }
                        }
                    }
                }
              }
            }
        }
        var found: [RodCandidate] = []
        for j in 0..<rows {
            for i in 0..<cols {
                let idx = j * cols + i
                let k = Double(best[idx])
                let si = Int(bestScale[idx])
                guard k != 0, abs(k) >= thresholds[si] else { continue }
                let window = max(2, Int(scales[si].rounded()))
                var isPeak = true
                search: for dj in -window...window {
                    let jj = j + dj
                    guard jj >= 0, jj < rows else { continue }
                    for di in -window...window where di != 0 || dj != 0 {
                        let ii = i + di
                        guard ii >= 0, ii < cols else { continue }
                        // A neighbour suppresses only within its own scale too, and only when it is of the same
                        // kind (bright or dark): a strong small blob or a dark gap between a pad and a couch does
                        // not hide a bright rod a few mm away.
                        let theirs = max(2, Int(scales[Int(bestScale[jj * cols + ii])].rounded()))
                        if abs(di) > theirs || abs(dj) > theirs { continue }
                        if (best[jj * cols + ii] > 0) != (k > 0) { continue }
                        let o = abs(best[jj * cols + ii])
                        if o > abs(best[idx]) || (o == abs(best[idx]) && (dj < 0 || (dj == 0 && di < 0))) {
                            isPeak = false
                            break search
                        }
                    }
                }
                guard isPeak else { continue }
                // Sub-pixel peak: a parabola through the neighbours on each axis.
                func offset(_ m: Double, _ c: Double, _ p: Double) -> Double {
                    let d = m - 2 * c + p
                    return d != 0 ? max(-0.5, min(0.5, 0.5 * (m - p) / d)) : 0
                }
                func at(_ ii: Int, _ jj: Int) -> Double {
                    guard ii >= 0, jj >= 0, ii < cols, jj < rows else { return abs(k) }
                    return Double(abs(best[jj * cols + ii]))
                }
                let di = offset(at(i - 1, j), abs(k), at(i + 1, j))
                let dj = offset(at(i, j - 1), abs(k), at(i, j + 1))
                found.append(RodCandidate(i: Double(i) + di, j: Double(j) + dj, contrast: k, scale: scales[si]))
            }
        }
        return found
    }
}
