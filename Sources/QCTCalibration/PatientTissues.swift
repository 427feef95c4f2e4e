import Foundation
import QCTCore

/// One reference tissue sampled in a patient's scan, for internal calibration.
public struct TissueSample: Codable, Sendable {
    /// "air", "adipose", "muscle", "blood".
    public var tissue: String
    /// Where it was taken, for people.
    public var site: String
    public var meanHU: Double?
    public var sdHU: Double?
    /// ROI area in one slice (the median over its slices), mm².
    public var areaMM2: Double
    public var voxels: Int
    public var slices: [Int]
    /// Centre, patient coordinates, mm.
    public var centerMM: [Double]
    /// Why no ROI was placed; nil when one was.
    public var missing: String?
}

/// Reference tissues of a patient (Michalski et al. 2020; domain reference §12), placed
/// automatically on the slices of the vertebrae read: air in front of the body, subcutaneous fat
/// under the anterior skin, the paraspinal muscles behind the spine, and blood in the aorta (the
/// round soft-tissue tube in front of the vertebral bodies, surrounded by fat).
public struct PatientTissues: Sendable {
    public var samples: [TissueSample]
    /// Per tissue, per slice: the pixels read (for pictures).
    public var pixels: [String: [Int: [Int]]]

    /// Places the ROIs on `slices`, with the spine's bodies (`spine.roiPixels`) as landmarks.
    public static func place(_ v: Volume, spine: PatientSpine, slices: [Int]) -> PatientTissues {
        let g = v.geometry
        let cs = g.columnSpacing, rs = g.rowSpacing, pixelArea = cs * rs
        let post = g.columnDirection.y >= 0 ? 1.0 : -1.0
        let sites = ["air": "outside the body, 10–40 mm from the skin, in front of its middle", "adipose": "subcutaneous, under the anterior skin",
                     "muscle": "paraspinal, behind the vertebral body either side of the spinous process",
                     "blood": "the aorta: the round soft-tissue tube in front of the vertebral bodies"]
        var collected: [String: [Int: [Int]]] = [:]
        for k in slices {
            // The landmark: the vertebral body read on this slice.
            guard let body = spine.roiPixels.compactMap({ $0[k] }).first, !body.isEmpty else { continue }
            let ci = body.map { Double($0 % g.columns) }.reduce(0, +) / Double(body.count)
            let cj = body.map { Double($0 / g.columns) }.reduce(0, +) / Double(body.count)
            let depth = (body.map { abs(Double($0 / g.columns) - cj) }.max() ?? 0) * rs
            let hu = smoothed(PatientSpine.sliceHU(v, k), columns: g.columns, rows: g.rows)
            // The body outline: everything above −500 HU in the largest component, holes filled.
            let inside = BinaryImage(columns: g.columns, rows: g.rows, pixels: hu.map { $0 > -500 })
            let (labels, blobs) = inside.labelled()
            guard let largest = blobs.indices.max(by: { blobs[$0].area < blobs[$1].area }) else { continue }
            let bodyMask = BinaryImage(columns: g.columns, rows: g.rows, pixels: labels.map { $0 == Int32(largest) }).holesFilled()
            let toOutside = BinaryImage.squaredDistance(to: bodyMask.pixels.map { !$0 }, columns: g.columns, rows: g.rows)
            let toBody = BinaryImage.squaredDistance(to: bodyMask.pixels, columns: g.columns, rows: g.rows)
            let bodyJ = Double(bodyMask.pixels.indices.filter { bodyMask.pixels[$0] }.map { $0 / g.columns }.reduce(0, +))
                / max(1, Double(bodyMask.pixels.filter { $0 }.count))
            let ps = (cs + rs) / 2
            func pick(_ tissue: String, erosionMM: Double, _ keep: (Int, Int, Double) -> Bool) {
                var mask = [Bool](repeating: false, count: hu.count)
                for p in hu.indices {
                    let i = p % g.columns, j = p / g.columns
                    mask[p] = keep(i, j, hu[p])
                }
                let roi = BinaryImage(columns: g.columns, rows: g.rows, pixels: mask).eroded(radius: erosionMM / ps)
                let pixels = roi.pixels.indices.filter { roi.pixels[$0] }
                if !pixels.isEmpty { collected[tissue, default: [:]][k] = pixels }
            }
            // Air: outside the body, 10–40 mm from its skin, in front of its middle (away from the table and pad).
            pick("air", erosionMM: 0) { i, j, h in
                let d = toBody[j * g.columns + i].squareRoot() * ps
                return h < -900 && h > -1100 && d >= 10 && d <= 40 && (Double(j) - bodyJ) * post < 0
            }
            // Subcutaneous fat: fat within 40 mm of the skin, over the anterior half.
            pick("adipose", erosionMM: 1.5) { i, j, h in
                let d = toOutside[j * g.columns + i].squareRoot() * ps
                return bodyMask.pixels[j * g.columns + i] && h > -250 && h < -20 && d >= 3 && d <= 40 && (Double(j) - bodyJ) * post < 0
            }
            // Paraspinal muscle: soft tissue 10–60 mm behind the body's back, 12–60 mm either side of the
            // midline; on each side the largest such region, 3 mm in from its edge (clear of fat and bone).
            pick("muscle", erosionMM: 3) { i, j, h in
                let back = (Double(j) - cj) * rs * post - depth, x = abs(Double(i) - ci) * cs
                return h > 0 && h < 100 && back >= 10 && back <= 60 && x >= 12 && x <= 60
            }
            if let found = collected["muscle"]?[k] {
                var mask = [Bool](repeating: false, count: hu.count)
                for p in found { mask[p] = true }
                let (labels, blobs) = BinaryImage(columns: g.columns, rows: g.rows, pixels: mask).labelled()
                var keep = Set<Int32>()
                for side in [-1.0, 1.0] {
                    let onSide = blobs.indices.filter { (blobs[$0].centroid.i - ci) * side > 0 }
                    if let best = onSide.max(by: { blobs[$0].area < blobs[$1].area }) { keep.insert(Int32(best)) }
                }
                collected["muscle"]?[k] = found.filter { keep.contains(labels[$0]) }
            }
            // The aorta: of the round soft-tissue components in front of the spine, the largest.
            var soft = [Bool](repeating: false, count: hu.count)
            for p in hu.indices {
                let i = p % g.columns, j = p / g.columns
                let front = -(Double(j) - cj) * rs * post - depth
                soft[p] = hu[p] > 0 && hu[p] < 120 && front >= 3 && front <= 80 && abs(Double(i) - ci) * cs <= 45
            }
            let (softLabels, softBlobs) = BinaryImage(columns: g.columns, rows: g.rows, pixels: soft).labelled()
            let round = softBlobs.indices.filter { n in
                let e = softBlobs[n].ellipse, area = softBlobs[n].area * pixelArea
                return area >= Double.pi * 25 && area <= Double.pi * 324 && e.a <= 1.4 * e.b
            }
            if let aorta = round.max(by: { softBlobs[$0].area < softBlobs[$1].area }) {
                let roi = BinaryImage(columns: g.columns, rows: g.rows, pixels: softLabels.map { $0 == Int32(aorta) }).eroded(radius: 2 / ps)
                let pixels = roi.pixels.indices.filter { roi.pixels[$0] }
                if !pixels.isEmpty { collected["blood", default: [:]][k] = pixels }
            }
        }
        var samples: [TissueSample] = []
        for tissue in ["air", "adipose", "muscle", "blood"] {
            let perSlice = collected[tissue] ?? [:]
            var values: [Double] = []
            var sumI = 0.0, sumJ = 0.0, sumK = 0.0
            for (k, pixels) in perSlice {
                for p in pixels where !v.isPadding(at: k * g.voxelsPerSlice + p) {
                    values.append(v.hu(at: k * g.voxelsPerSlice + p))
                    sumI += Double(p % g.columns); sumJ += Double(p / g.columns); sumK += Double(k)
                }
            }
            let areas = perSlice.values.map { Double($0.count) * pixelArea }.sorted()
            var s = TissueSample(tissue: tissue, site: sites[tissue] ?? "", areaMM2: areas.isEmpty ? 0 : areas[areas.count / 2], voxels: values.count,
                                 slices: perSlice.keys.sorted(), centerMM: [])
            if values.count >= 10 {
                let n = Double(values.count)
                let c = g.position(column: sumI / n, row: sumJ / n, slice: sumK / n)
                s.centerMM = [c.x, c.y, c.z]
                var sorted = values
                let stats = ROIStatistics(&sorted)
                (s.meanHU, s.sdHU) = (stats.mean, stats.sd)
            } else {
                s.missing = "no \(tissue) region found (\(sites[tissue] ?? ""))"
            }
            samples.append(s)
        }
        return PatientTissues(samples: samples, pixels: collected)
    }

    /// A 3 × 3 box mean (edges: the pixels that exist), so noise does not cut tissue masks up.
    static func smoothed(_ hu: [Double], columns: Int, rows: Int) -> [Double] {
        var out = hu
        for j in 0..<rows {
            for i in 0..<columns {
                var sum = 0.0, n = 0.0
                for dj in -1...1 where j + dj >= 0 && j + dj < rows {
                    for di in -1...1 where i + di >= 0 && i + di < columns {
                        sum += hu[(j + dj) * columns + i + di]
                        n += 1
                    }
                }
                out[j * columns + i] = sum / n
            }
        }
        return out
    }
}
