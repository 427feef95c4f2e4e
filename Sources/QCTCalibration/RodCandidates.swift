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
    /// `sides` holds left, right, top, bottom; bit k of `valid` says side k could be read.
    static func agreeingSurround(_ sides: SIMD4<Double>, valid: Int, inner: Double, noise: Double) -> Double? {
        let (l, r, t, b) = (sides[0], sides[1], sides[2], sides[3])
        var found = false, bestN = 0, bestRing = 0.0, bestSpread = 0.0
        /// One set of sides: `n` of them summing (in side order) to `total`, from `lo` to `hi`.
        @inline(__always) func consider(_ n: Int, _ total: Double, _ lo: Double, _ hi: Double) {
            let ring = total / Double(n)
            guard hi - lo < 0.5 * abs(inner - ring) + 4 * noise else { return }
            // More sides first; among equals, the sides that agree best.
            if !found || n > bestN || (n == bestN && hi - lo < bestSpread) {
                found = true; bestN = n; bestRing = ring; bestSpread = hi - lo
            }
        }
        // All four; then the four sets of three; then the two opposite pairs.
        if valid == 15 {
            consider(4, ((l + r) + t) + b, min(min(l, r), min(t, b)), max(max(l, r), max(t, b)))
            if found { return bestRing }
        }
        if valid & 7 == 7 { consider(3, (l + r) + t, min(min(l, r), t), max(max(l, r), t)) }
        if valid & 11 == 11 { consider(3, (l + r) + b, min(min(l, r), b), max(max(l, r), b)) }
        if valid & 13 == 13 { consider(3, (l + t) + b, min(min(l, t), b), max(max(l, t), b)) }
        if valid & 14 == 14 { consider(3, (r + t) + b, min(min(r, t), b), max(max(r, t), b)) }
        if valid & 3 == 3 { consider(2, l + r, min(l, r), max(l, r)) }
        if valid & 12 == 12 { consider(2, t + b, min(t, b), max(t, b)) }
        return found ? bestRing : nil
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

    /// The box-filter sizes of one scale: inner half-width `a`, ring from `c` to `b` pixels.
    struct Scale {
        let radius: Double
        let a: Int, c: Int, b: Int
        /// Noise of the inner mean (blur makes neighbours correlate, so generous).
        let innerSD: Double
        /// Contrast a candidate at this scale must reach.
        let threshold: Double
        /// Non-maximum suppression window, pixels.
        let window: Int
        init(radius r: Double, noise: Double, minimumContrast: Double, sigmas: Double) {
            radius = r
            a = max(1, Int((0.6 * r).rounded()))
            c = max(a + 1, Int((1.2 * r).rounded()))
            b = max(c + 2, Int((1.55 * r).rounded()))
            innerSD = noise / Double(2 * a + 1) * 2.5
            threshold = max(sigmas * innerSD, minimumContrast)
            window = max(2, Int(r.rounded()))
        }
    }

    /// Box contrast at every pixel of row `j` between the row's first and last non-air pixel (± the
    /// ring's inner reach) at one scale; a pixel's best contrast so far is kept in `best`/`scaleOf`.
    @inline(__always)
    static func scan(row j: Int, scale s: Scale, index si: Int, first: Int, last: Int, columns cols: Int, rows: Int,
                     sums: UnsafeBufferPointer<Double>, counts: UnsafeBufferPointer<Double>, pixels: UnsafeBufferPointer<Double>,
                     scratch: UnsafeMutablePointer<Double>, stride: Int, best: UnsafeMutableBufferPointer<Float>,
                     scaleOf: UnsafeMutableBufferPointer<UInt8>) {
        let a = s.a, c = s.c, b = s.b
        let innerArea = (2 * a + 1) * (2 * a + 1)
        let fullSide = (b - c + 1) * (2 * c - 1)
        let innerAreaD = Double(innerArea), sideAreaD = Double(fullSide)
        let lo = max(0, first - c), hi = min(cols - 1, last + c)
        guard lo <= hi else { return }
        // Pixels whose boxes all lie inside the image are read in runs, without clamping.
        let rowInside = j - b >= 0 && j + b <= rows - 1
        let fastLo = rowInside ? max(lo, b) : Int.max, fastHi = rowInside ? min(hi, cols - 1 - b) : Int.min
        // Eight runs of `stride` (≥ columns + b + c) values each.
        let innerSum = scratch, innerCount = scratch + stride
        let armSum = scratch + 2 * stride, armCount = scratch + 3 * stride
        let topSum = scratch + 4 * stride, topCount = scratch + 5 * stride
        let bottomSum = scratch + 6 * stride, bottomCount = scratch + 7 * stride
        let w = cols + 1
        let innerTop = (j - a) * w, innerBottom = (j + a + 1) * w
        let midTop = (j - c + 1) * w, midBottom = (j + c) * w
        let armTop = (j - b) * w, armBottom = (j + b + 1) * w
        /// Air all around: nothing to find (rods sit in a body).
        @inline(__always) func airAround(_ i: Int) -> Bool {
            pixels[j * cols + i] < -900 && pixels[j * cols + min(cols - 1, i + c)] < -900 && pixels[j * cols + max(0, i - c)] < -900
        }
        var i = lo
        while i <= hi {
            if airAround(i) { i += 1; continue }
            // A run of pixels that are not air all around; its part inside the fast range is read at once.
            var runEnd = i
            while runEnd + 1 <= hi, !airAround(runEnd + 1) { runEnd += 1 }
            let runLo = max(i, fastLo), runHi = min(runEnd, fastHi)
            if runLo <= runHi {
                let n = runHi - runLo + 1
                SummedArea.boxes(sums, top: innerTop, bottom: innerBottom, x0: runLo - a, width: 2 * a + 1, count: n, into: innerSum)
                SummedArea.boxes(counts, top: innerTop, bottom: innerBottom, x0: runLo - a, width: 2 * a + 1, count: n, into: innerCount)
                // Horizontal arms by left edge, from the first pixel's left arm to the last one's right arm.
                SummedArea.boxes(sums, top: midTop, bottom: midBottom, x0: runLo - b, width: b - c + 1, count: n + b + c, into: armSum)
                SummedArea.boxes(counts, top: midTop, bottom: midBottom, x0: runLo - b, width: b - c + 1, count: n + b + c, into: armCount)
                SummedArea.boxes(sums, top: armTop, bottom: midTop, x0: runLo - c + 1, width: 2 * c - 1, count: n, into: topSum)
                SummedArea.boxes(counts, top: armTop, bottom: midTop, x0: runLo - c + 1, width: 2 * c - 1, count: n, into: topCount)
                SummedArea.boxes(sums, top: midBottom, bottom: armBottom, x0: runLo - c + 1, width: 2 * c - 1, count: n, into: bottomSum)
                SummedArea.boxes(counts, top: midBottom, bottom: armBottom, x0: runLo - c + 1, width: 2 * c - 1, count: n, into: bottomCount)
            }
            for i in i...runEnd {
                evaluate(i, runLo <= runHi && i >= runLo && i <= runHi ? i - runLo : nil)
            }
            i = runEnd + 1
        }

        /// The contrast at pixel `i`; `q` its place in the run read at once, if it is in one.
        @inline(__always) func evaluate(_ i: Int, _ q: Int?) {
            var sides = SIMD4<Double>(repeating: 0)
            var valid = 0
            let inner: Double
            if let q {
                let body = innerCount[q]
                guard body * 10 >= innerAreaD * 9 || body * 10 <= innerAreaD else { return }
                inner = (innerSum[q] - 1000 * (innerAreaD - body)) / innerAreaD
                @inline(__always) func arm(_ k: Int, _ sum: Double, _ count: Double) {
                    guard count * 10 >= sideAreaD * 9 else { return }
                    sides[k] = sum / count
                    valid |= 1 << k
                }
                arm(0, armSum[q], armCount[q])
                arm(1, armSum[q + b + c], armCount[q + b + c])
                arm(2, topSum[q], topCount[q])
                arm(3, bottomSum[q], bottomCount[q])
            } else {
                // The inner box counts every pixel (air at −1000 HU: an air plug is a rod too); it must
                // be phantom or air, not both (part air, part phantom: an edge, not a rod).
                let ib = SummedArea.box(sums, counts, columns: cols, rows: rows, i - a, j - a, i + a, j + a)
                guard ib.area * 2 >= innerArea, ib.body * 10 >= Double(ib.area * 9) || ib.body * 10 <= Double(ib.area) else { return }
                inner = (ib.sum - 1000 * (Double(ib.area) - ib.body)) / Double(ib.area)
                // Arms left, right, top, bottom. A rod in a thin pad has pad beside it but air, a
                // couch or a patient above and below: the arms that agree, at least an opposite pair,
                // are its surround. An arm counts only when it lies in the phantom (90 % of it or
                // more: an arm across the face of a thin pad would read the face's partial volume)
                // and at least a quarter of it is inside the image.
                @inline(__always) func arm(_ k: Int, _ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) {
                    let r = SummedArea.box(sums, counts, columns: cols, rows: rows, i0, j0, i1, j1)
                    guard r.area > 0, r.body * 10 >= Double(r.area * 9), r.area * 2 >= fullSide / 2 else { return }
                    sides[k] = r.sum / r.body
                    valid |= 1 << k
                }
                arm(0, i - b, j - c + 1, i - c, j + c - 1)
                arm(1, i + c, j - c + 1, i + b, j + c - 1)
                arm(2, i - c + 1, j - b, i + c - 1, j - c)
                arm(3, i - c + 1, j + c, i + c - 1, j + b)
            }
            let ring: Double
            let all = ((sides[0] + sides[1]) + sides[2]) + sides[3]
            let highest = max(max(sides[0], sides[1]), max(sides[2], sides[3]))
            let lowest = min(min(sides[0], sides[1]), min(sides[2], sides[3]))
            if valid == 15, highest - lowest < 0.5 * abs(inner - all / 4) + 4 * s.innerSD {
                // All four arms agree (the common case; `agreeingSurround` would say the same).
                ring = all / 4
            } else {
                guard valid.nonzeroBitCount >= 2,
                      let r = agreeingSurround(sides, valid: valid, inner: inner, noise: s.innerSD) else { return }
                ring = r
            }
            let k = inner - ring
            guard ring > -700 || inner > -700 else { return }
            let idx = j * cols + i
            if abs(k) > Double(abs(best[idx])) {
                best[idx] = Float(k)
                scaleOf[idx] = UInt8(si)
            }
        }
    }

    static func find(_ slab: SlabImage, radiusPixels range: ClosedRange<Double>, noise: Double, minimumContrast: Double = 8,
                     sigmas: Double = 6) -> [RodCandidate] {
        let cols = slab.columns, rows = slab.rows
        guard cols > 4, rows > 4 else { return [] }
        let scales = scales(radiusPixels: range).map { Scale(radius: $0, noise: noise, minimumContrast: minimumContrast, sigmas: sigmas) }
        var best = [Float](repeating: 0, count: cols * rows)
        var bestScale = [UInt8](repeating: 0, count: cols * rows)
        let summed = SummedArea(slab)
        // Scratch per row: a run of box sums as long as the row plus the widest ring's reach.
        let stride = cols + (scales.map { $0.b + $0.c }.max() ?? 0) + 1
        // Each row's first and last pixel that is not air: beyond them (by more than the ring's inner
        // reach) every pixel would be skipped as air all around.
        let extents = slab.pixels.withUnsafeBufferPointer { pixels in
            (0..<rows).map { j -> (first: Int, last: Int) in
                var first = 0, last = cols - 1
                while first < cols, pixels[j * cols + first] < -900 { first += 1 }
                while last >= first, pixels[j * cols + last] < -900 { last -= 1 }
                return (first, last)
            }
        }
        summed.sums.withUnsafeBufferPointer { sumTable in
          summed.counts.withUnsafeBufferPointer { countTable in
            slab.pixels.withUnsafeBufferPointer { pixelBuffer in
              best.withUnsafeMutableBufferPointer { outBest in
                bestScale.withUnsafeMutableBufferPointer { outScale in
                  let sumShared = SharedConstBuffer(sumTable), countShared = SharedConstBuffer(countTable)
                  let image = SharedConstBuffer(pixelBuffer)
                  let bestOut = SharedBuffer(outBest), which = SharedBuffer(outScale)
                  DispatchQueue.concurrentPerform(iterations: rows) { j in
                    let (first, last) = extents[j]
                    guard first <= last else { return }
                    // Box sums for a whole run of the row at once: inner boxes, horizontal arms (the left
                    // arm of one pixel is the right arm of another), top and bottom arms; sums then counts.
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: 8 * stride) { scratch in
                        for (si, s) in scales.enumerated() {
                            scan(row: j, scale: s, index: si, first: first, last: last, columns: cols, rows: rows,
                                 sums: sumShared.buffer, counts: countShared.buffer, pixels: image.buffer,
                                 scratch: scratch.baseAddress!, stride: stride, best: bestOut.buffer, scaleOf: which.buffer)
                        }
                    }
                  }
                }
              }
            }
          }
        }
        var found: [RodCandidate] = []
        let minimumThreshold = scales.map(\.threshold).min() ?? minimumContrast
        for j in 0..<rows {
            for i in 0..<cols {
                let idx = j * cols + i
                let k = Double(best[idx])
                guard abs(k) >= minimumThreshold else { continue }
                let si = Int(bestScale[idx])
                guard abs(k) >= scales[si].threshold else { continue }
                /// Whether the neighbour (di, dj) suppresses this pixel. A neighbour suppresses only within its own
                /// scale too, and only when it is of the same kind (bright or dark): a strong small blob or a dark
                /// gap between a pad and a couch does not hide a bright rod a few mm away.
                @inline(__always) func beaten(_ di: Int, _ dj: Int) -> Bool {
                    let ii = i + di, jj = j + dj
                    guard ii >= 0, ii < cols, jj >= 0, jj < rows, di != 0 || dj != 0 else { return false }
                    let theirs = scales[Int(bestScale[jj * cols + ii])].window
                    if abs(di) > theirs || abs(dj) > theirs { return false }
                    if (best[jj * cols + ii] > 0) != (k > 0) { return false }
                    let o = abs(best[jj * cols + ii])
                    return o > abs(best[idx]) || (o == abs(best[idx]) && (dj < 0 || (dj == 0 && di < 0)))
                }
                // The eight nearest first: most pixels that are not peaks lose to one of them.
                var isPeak = !(beaten(-1, -1) || beaten(0, -1) || beaten(1, -1) || beaten(-1, 0) || beaten(1, 0)
                               || beaten(-1, 1) || beaten(0, 1) || beaten(1, 1))
                let window = scales[si].window
                if isPeak {
                    search: for dj in -window...window {
                        for di in -window...window where abs(di) > 1 || abs(dj) > 1 {
                            if beaten(di, dj) {
                                isPeak = false
                                break search
                            }
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
                found.append(RodCandidate(i: Double(i) + di, j: Double(j) + dj, contrast: k, scale: scales[si].radius))
            }
        }
        return found
    }
}
