import QCTCore
import Dispatch

/// A round blob of about a rod's size in one slab.
struct RodCandidate: Sendable {
    /// Pixel position (column, row), sub-pixel.
    var i: Double
    var j: Double
    /// Inner mean minus surrounding ring mean, HU.
    var contrast: Double
}

/// Finds rod-sized round blobs, bright or dark, with box filters.
///
/// Contrast = mean of a box inscribed in the rod minus the mean of the ring
/// between 1.3 and 1.8 rod radii. A candidate is a local extremum of
/// contrast above `threshold` whose four ring sides agree with one another
/// (an edge of a body has sides that differ by as much as the contrast).
enum RodCandidateFinder {
    static func find(_ slab: SlabImage, radiusPixels r: Double, noise: Double, minimumContrast: Double = 8,
                     sigmas: Double = 6) -> [RodCandidate] {
        let a = max(1, Int((0.6 * r).rounded()))
        let c = max(a + 1, Int((1.3 * r).rounded()))
        let b = max(c + 1, Int((1.8 * r).rounded()))
        let cols = slab.columns, rows = slab.rows
        // Noise of the inner mean; blur makes neighbours correlate, so be generous.
        let innerSD = noise / Double(2 * a + 1) * 2.5
        let threshold = max(sigmas * innerSD, minimumContrast)
        var contrast = [Double](repeating: 0, count: cols * rows)
        slab.integral.withUnsafeBufferPointer { table in
            let integral = SharedConstBuffer(table)
            contrast.withUnsafeMutableBufferPointer { out in
                let box = SharedBuffer(out)
                let w = cols + 1
                // Box mean over [i0, i1] × [j0, j1], all inside the image here.
                @Sendable @inline(__always) func mean(_ i0: Int, _ j0: Int, _ i1: Int, _ j1: Int) -> Double {
                    let t = integral.buffer
                    let s = t[(j1 + 1) * w + i1 + 1] - t[j0 * w + i1 + 1] - t[(j1 + 1) * w + i0] + t[j0 * w + i0]
                    return s / Double((i1 - i0 + 1) * (j1 - j0 + 1))
                }
                DispatchQueue.concurrentPerform(iterations: rows) { j in
                    guard j >= b, j < rows - b else { return }
                    for i in b..<(cols - b) {
                        let inner = mean(i - a, j - a, i + a, j + a)
                        // Ring sides: left, right, top, bottom strips between c and b.
                        let left = mean(i - b, j - b, i - c, j + b)
                        let right = mean(i + c, j - b, i + b, j + b)
                        let top = mean(i - c + 1, j - b, i + c - 1, j - c)
                        let bottom = mean(i - c + 1, j + c, i + c - 1, j + b)
                        let ring = (left + right + top + bottom) / 4
                        let k = inner - ring
                        let spread = max(max(left, right), max(top, bottom)) - min(min(left, right), min(top, bottom))
                        box.buffer[j * cols + i] = spread < 0.5 * abs(k) + 4 * innerSD ? k : 0
                    }
                }
            }
        }
        var found: [RodCandidate] = []
        let window = max(2, Int(r.rounded()))
        for j in b..<max(b, rows - b) {
            for i in b..<max(b, cols - b) {
                let k = contrast[j * cols + i]
                guard abs(k) >= threshold else { continue }
                var isPeak = true
                search: for dj in -window...window {
                    for di in -window...window where di != 0 || dj != 0 {
                        let jj = j + dj, ii = i + di
                        guard jj >= 0, jj < rows, ii >= 0, ii < cols else { continue }
                        let o = contrast[jj * cols + ii]
                        if abs(o) > abs(k) || (abs(o) == abs(k) && (dj < 0 || (dj == 0 && di < 0))) {
                            isPeak = false
                            break search
                        }
                    }
                }
                if isPeak {
                    // Sub-pixel peak: a parabola through the neighbours on each axis.
                    func offset(_ m: Double, _ c: Double, _ p: Double) -> Double {
                        let d = m - 2 * c + p
                        return d != 0 ? max(-0.5, min(0.5, 0.5 * (m - p) / d)) : 0
                    }
                    let di = offset(abs(contrast[j * cols + i - 1]), abs(k), abs(contrast[j * cols + i + 1]))
                    let dj = offset(abs(contrast[(j - 1) * cols + i]), abs(k), abs(contrast[(j + 1) * cols + i]))
                    found.append(RodCandidate(i: Double(i) + di, j: Double(j) + dj, contrast: k))
                }
            }
        }
        return found
    }
}


