import Foundation

/// A vertebral body recognised by its anatomy in one (slab-mean) image.
///
/// Bone is what stands above the surrounding material by a noise-scaled
/// margin. The cortical shell encloses the trabecular body whatever its
/// density, so holes in the bone mask are filled — except holes that hold
/// the surrounding material: the spinal canal, enclosed by the body, the
/// pedicles and the lamina. Opening by a disc wider than the posterior
/// elements (pedicles about 7–11 mm wide at L1–L3, laminae and spinous
/// processes thinner; Panjabi et al., Spine 1992) then leaves the body alone.
/// Inside it, the shell is what lies above the level half-way between the
/// trabecular core and the shell's peak; the trabecular interior is the
/// region the shell encloses around the core, and the ROI is that interior
/// eroded from the inner shell surface (Docs/measurement.md).
enum VertebralBody {
    /// Bone mask, canal-aware hole filling, opening: the candidate bodies (opened) and the filled bone they came from.
    static func bodyMask(_ pixels: [Double], columns: Int, rows: Int, background: Double, noise: Double,
                         openingMM: Double, pixelMM: Double) -> (opened: BinaryImage, bone: BinaryImage) {
        let margin = max(20, 4 * noise)
        let threshold = background + margin
        var bone = BinaryImage(columns: columns, rows: rows, pixels: pixels.map { $0 > threshold })
        // Holes: background regions not reaching the border. Fill those whose material is above
        // the surroundings (trabecular bone below the bone threshold), or too small to be a canal.
        let outside = bone.holesFilled()
        let holes = BinaryImage(columns: columns, rows: rows, pixels: zip(outside.pixels, bone.pixels).map { $0 && !$1 })
        let (labels, blobs) = holes.labelled()
        var sums = [Double](repeating: 0, count: blobs.count)
        for p in labels.indices where labels[p] >= 0 { sums[Int(labels[p])] += pixels[p] }
        let smallArea = Double.pi * 9 / (pixelMM * pixelMM)  // a 3 mm disc
        let fill = blobs.indices.map { b in blobs[b].area < smallArea || sums[b] / blobs[b].area > background + 0.4 * margin }
        for p in labels.indices where labels[p] >= 0 && fill[Int(labels[p])] { bone.pixels[p] = true }
        return (bone.opened(radius: openingMM / pixelMM), bone)
    }

    /// Components of `mask` whose size and shape fit a vertebral body (semi-axes 8–45 mm, at most 3:1).
    static func plausible(_ blobs: [Blob], pixelMM: Double) -> [Int] {
        blobs.indices.filter { n in
            let e = blobs[n].ellipse
            let a = e.a * pixelMM, b = e.b * pixelMM
            return b >= 8 && a <= 45 && a <= 3 * b
        }
    }

    /// One opened component given back what the opening shaved off its outline (tips of a long
    /// body, the shell's outer blur): the filled bone within `openingMM` + 1 pixel of it. The stubs of
    /// posterior elements that come back are cortical and join the shell.
    static func restored(_ component: BinaryImage, bone: BinaryImage, openingMM: Double, pixelMM: Double) -> BinaryImage {
        let near = component.dilated(radius: openingMM / pixelMM + 1)
        return BinaryImage(columns: bone.columns, rows: bone.rows, pixels: zip(near.pixels, bone.pixels).map { $0 && $1 })
    }

    /// The trabecular ROI inside one body (mask of `body`), eroded `erosionMM` from the inner shell surface.
    struct Interior {
        var roi: BinaryImage
        /// Median of the body's core (HU) and the shell's peak level (HU).
        var coreHU: Double
        var shellHU: Double
        /// Pixels of the interior before erosion.
        var interiorPixels: Int
    }

    static func interior(_ pixels: [Double], body: BinaryImage, noise: Double, pixelMM: Double, erosionMM: Double) -> Interior? {
        let columns = body.columns, rows = body.rows
        guard let blob = body.components().max(by: { $0.area < $1.area }) else { return nil }
        let minor = blob.ellipse.b
        // Core: the body eroded to 40 % of its minor semi-axis.
        let core = body.eroded(radius: 0.6 * minor)
        var coreValues: [Double] = []
        var coreBlob = Blob()
        for p in pixels.indices where core.pixels[p] {
            coreValues.append(pixels[p])
            coreBlob.add(i: Double(p % columns), j: Double(p / columns))
        }
        guard coreValues.count >= 3 else { return nil }
        coreValues.sort()
        let coreHU = coreValues[coreValues.count / 2]
        // The shell's peak: the highest pixel along each of 72 rays from the core's centre to the
        // body's edge; their median (posterior-element stubs and noise touch few rays).
        let (ci, cj) = coreBlob.centroid
        var peaks: [Double] = []
        for ray in 0..<72 {
            let t = Double(ray) * Double.pi / 36
            let (dx, dy) = (cos(t) * 0.5, sin(t) * 0.5)
            var x = ci, y = cj, peak = -Double.infinity
            while true {
                let i = Int(x.rounded()), j = Int(y.rounded())
                guard i >= 0, i < columns, j >= 0, j < rows, body.pixels[j * columns + i] else { break }
                peak = max(peak, pixels[j * columns + i])
                x += dx
                y += dy
            }
            if peak.isFinite { peaks.append(peak) }
        }
        guard peaks.count >= 36 else { return nil }
        peaks.sort()
        let shellHU = peaks[peaks.count / 2]
        // The shell: body pixels at or above a level half-way from the core to the shell's peak, widened by
        // 1.5 pixels so noise leaves no gap in it (the ROI thus keeps `erosionMM` plus about a pixel from
        // the shell's half-height contour). The interior: what it encloses and the core reaches (the canal,
        // also enclosed, is not reached). The peak is the rays' median: where thick posterior elements
        // take many rays it overstates a thin shell, whose ring then stays open at half-height; the level
        // is then lowered (a third, then a fifth of the way) until the ring closes.
        var filled: BinaryImage?
        for fraction in [0.5, 0.33, 0.2] {
            let level = coreHU + max(fraction * (shellHU - coreHU), 3 * noise)
            let shell = BinaryImage(columns: columns, rows: rows, pixels: pixels.indices.map { body.pixels[$0] && pixels[$0] >= level })
                .dilated(radius: 1.5)
            let enclosed = BinaryImage(columns: columns, rows: rows,
                                       pixels: zip(shell.holesFilled().pixels, shell.pixels).map { $0 && !$1 })
            let (labels, blobs) = enclosed.labelled()
            var overlap = [Int](repeating: 0, count: blobs.count)
            for p in labels.indices where labels[p] >= 0 && core.pixels[p] { overlap[Int(labels[p])] += 1 }
            guard let keep = overlap.indices.max(by: { overlap[$0] < overlap[$1] }), overlap[keep] > 0 else { continue }
            filled = BinaryImage(columns: columns, rows: rows, pixels: labels.map { $0 == Int32(keep) })
            break
        }
        guard let filled else { return nil }
        let roi = filled.eroded(radius: erosionMM / pixelMM)
        return Interior(roi: roi, coreHU: coreHU, shellHU: shellHU, interiorPixels: filled.pixels.filter { $0 }.count)
    }
}

extension BinaryImage {
    /// 4-connected component labels (−1: background) and the components' moments.
    func labelled() -> ([Int32], [Blob]) {
        var label = [Int32](repeating: -1, count: pixels.count)
        var blobs: [Blob] = []
        var stack: [Int] = []
        for start in pixels.indices where pixels[start] && label[start] < 0 {
            var blob = Blob()
            let id = Int32(blobs.count)
            label[start] = id
            stack.append(start)
            while let p = stack.popLast() {
                let i = p % columns, j = p / columns
                blob.add(i: Double(i), j: Double(j))
                if i > 0, pixels[p - 1], label[p - 1] < 0 { label[p - 1] = id; stack.append(p - 1) }
                if i < columns - 1, pixels[p + 1], label[p + 1] < 0 { label[p + 1] = id; stack.append(p + 1) }
                if j > 0, pixels[p - columns], label[p - columns] < 0 { label[p - columns] = id; stack.append(p - columns) }
                if j < rows - 1, pixels[p + columns], label[p + columns] < 0 { label[p + columns] = id; stack.append(p + columns) }
            }
            blobs.append(blob)
        }
        return (label, blobs)
    }
}
