import Foundation
import QCTCore

/// Groups frame headers into series and orders each along its normal.
///
/// Grouping is by Series Instance UID, split further by matrix size and
/// orientation; localizers and non-axial stacks are excluded. Slice spacing
/// comes from positions projected on the normal, never from Slice Thickness.
public enum SeriesAssembler {
    /// Largest angle between the slice normal and patient z for an axial stack, degrees.
    public static let maxAxialAngleDegrees = 45.0
    /// Positions closer than this along the normal are duplicates, mm.
    public static let duplicateToleranceMM = 0.01

    public static func assemble(_ frames: [FrameHeader]) -> (series: [Series], excluded: [ExcludedItem]) {
        var excluded: [ExcludedItem] = []
        var byUID: [String: [FrameHeader]] = [:]
        var order: [String] = []
        var localizers: [String: Int] = [:]
        for f in frames {
            if f.isLocalizer {
                localizers[f.seriesInstanceUID, default: 0] += 1
                continue
            }
            if byUID[f.seriesInstanceUID] == nil { order.append(f.seriesInstanceUID) }
            byUID[f.seriesInstanceUID, default: []].append(f)
        }
        for (uid, n) in localizers.sorted(by: { $0.key < $1.key }) {
            excluded.append(ExcludedItem(identifier: uid, count: n, reason: "localizer (Image Type LOCALIZER)"))
        }
        var result: [Series] = []
        for uid in order {
            let group = byUID[uid] ?? []
            let parts = split(group)
            for (index, part) in parts.enumerated() {
                if let n = part.first?.normal, abs(n.z) < cosDegrees(maxAxialAngleDegrees) {
                    let angle = n.angleDegrees(to: Vector3(0, 0, 1))
                    excluded.append(ExcludedItem(
                        identifier: uid, count: part.count,
                        reason: "non-axial images (slice normal \(format(min(angle, 180 - angle)))° from patient z)"))
                    continue
                }
                var series = build(uid: uid, frames: part)
                if parts.count > 1 {
                    series.part = index + 1
                    series.problems.insert(SeriesProblem(
                        .mixedGeometry,
                        "series held \(parts.count) matrix sizes or orientations; this part is \(part[0].columns)×\(part[0].rows), \(part.count) frames"),
                        at: 0)
                }
                result.append(series)
            }
        }
        return (result, excluded)
    }

    /// Splits a UID group by matrix size and orientation (cosines to 1e-3).
    static func split(_ frames: [FrameHeader]) -> [[FrameHeader]] {
        struct Key: Hashable {
            var rows: Int, columns: Int, orientation: [Int]
        }
        var parts: [Key: [FrameHeader]] = [:]
        var order: [Key] = []
        for f in frames {
            let o: [Int]
            if let r = f.rowDirection, let c = f.columnDirection {
                o = [r.x, r.y, r.z, c.x, c.y, c.z].map { Int(($0 * 1000).rounded()) }
            } else {
                o = []
            }
            let key = Key(rows: f.rows, columns: f.columns, orientation: o)
            if parts[key] == nil { order.append(key) }
            parts[key, default: []].append(f)
        }
        return order.compactMap { parts[$0] }
    }

    static func build(uid: String, frames input: [FrameHeader]) -> Series {
        var problems: [SeriesProblem] = []
        var frames = input
        let first = frames[0]
        let hasGeometry = frames.allSatisfy { $0.position != nil && $0.normal != nil }
        let rowDir = first.rowDirection ?? Vector3(1, 0, 0)
        let colDir = first.columnDirection ?? Vector3(0, 1, 0)
        let normal = rowDir.cross(colDir).normalized
        let fallbackSpacing = first.spacingBetweenSlicesMM ?? first.sliceThicknessMM ?? 1

        var sliceStep = normal * fallbackSpacing
        var origin = first.position ?? .zero
        if hasGeometry {
            frames.sort {
                let a = normal.dot($0.position!), b = normal.dot($1.position!)
                if abs(a - b) > duplicateToleranceMM { return a < b }
                return ($0.instanceNumber ?? 0, $0.frameIndex) < ($1.instanceNumber ?? 0, $1.frameIndex)
            }
            // Duplicates: keep the first at each position.
            var kept: [FrameHeader] = [frames[0]]
            var dropped = 0
            var droppedNames: [String] = []
            for f in frames.dropFirst() {
                if abs(normal.dot(f.position! - kept.last!.position!)) <= duplicateToleranceMM {
                    dropped += 1
                    let name = (f.file.path as NSString).lastPathComponent
                    droppedNames.append(f.file.frameCount > 1 ? "\(name) frame \(f.frameIndex + 1)" : name)
                } else {
                    kept.append(f)
                }
            }
            if dropped > 0 {
                let listed = droppedNames.prefix(3).joined(separator: ", ") + (dropped > 3 ? ", …" : "")
                problems.append(SeriesProblem(.duplicateSlices,
                    "\(dropped) frame(s) repeat a position already present; the first of each (by Instance Number) was kept; left out: \(listed)"))
            }
            frames = kept
            origin = frames[0].position!
            if frames.count > 1 {
                let d = frames.map { normal.dot($0.position!) }
                let gaps = zip(d.dropFirst(), d).map { $0 - $1 }
                let median = gaps.sorted()[gaps.count / 2]
                let span = frames.last!.position! - frames[0].position!
                sliceStep = span / Double(frames.count - 1)
                if let big = gaps.max(), big > 1.5 * median {
                    let n = gaps.filter { $0 > 1.5 * median }.count
                    let where_ = gaps.indices.filter { gaps[$0] > 1.5 * median }.map { [min(d[$0], d[$0 + 1]), max(d[$0], d[$0 + 1])] }
                    problems.append(SeriesProblem(.gap,
                        "\(n) gap(s) in slice positions; largest \(format(big)) mm where spacing is \(format(median)) mm", gapsMM: where_))
                } else if let lo = gaps.min(), let hi = gaps.max(), hi - lo > max(0.01 * median, 0.001) {
                    problems.append(SeriesProblem(.unevenSpacing,
                        "slice spacing varies from \(format(lo)) to \(format(hi)) mm"))
                }
                let tilt = span.angleDegrees(to: normal)
                if tilt > 0.1 {
                    problems.append(SeriesProblem(.gantryTilt,
                        "slices stacked \(format(tilt))° off their normal (gantry tilt \(first.acquisition.gantryTiltDegrees.map { format($0) + "°" } ?? "not stated"))"))
                }
            }
        } else {
            frames.sort { ($0.instanceNumber ?? 0, $0.frameIndex) < ($1.instanceNumber ?? 0, $1.frameIndex) }
            if frames.count > 1, frames.allSatisfy({ $0.file === first.file }) {
                problems.append(SeriesProblem(.noPerFramePositions,
                    "multi-frame image without per-frame positions; frames stacked at \(format(fallbackSpacing)) mm"))
            } else {
                problems.append(SeriesProblem(.missingGeometry,
                    "no Image Position/Orientation (Patient); ordered by Instance Number, spacing \(format(fallbackSpacing)) mm assumed"))
            }
        }

        var spacing = first.pixelSpacing
        if spacing == nil {
            problems.append(SeriesProblem(.missingGeometry, "no Pixel Spacing; 1 mm assumed"))
            spacing = (row: 1, column: 1)
        } else if frames.contains(where: {
            guard let s = $0.pixelSpacing else { return true }
            return abs(s.row - spacing!.row) > 1e-4 || abs(s.column - spacing!.column) > 1e-4
        }) {
            problems.append(SeriesProblem(.mixedPixelSpacing, "pixel spacing differs between frames; the first frame's is used"))
        }
        if let type = first.rescale.type, type.uppercased() != "HU", first.modality == "CT" {
            let meaning = type.uppercased() == "US" ? " (unspecified)" : ""
            problems.append(SeriesProblem(.notHounsfield, "Rescale Type is \(type)\(meaning), not HU"))
        }

        let geometry = VolumeGeometry(
            columns: first.columns, rows: first.rows, slices: frames.count,
            columnSpacing: spacing!.column, rowSpacing: spacing!.row, origin: origin,
            rowDirection: rowDir, columnDirection: colDir, sliceStep: sliceStep)
        return Series(
            seriesInstanceUID: uid, part: nil, modality: first.modality, frames: frames,
            geometry: geometry, sliceThicknessMM: first.sliceThicknessMM, scanner: first.scanner,
            acquisition: first.acquisition, padding: first.padding, problems: problems)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func cosDegrees(_ d: Double) -> Double { cos(d * Double.pi / 180) }

/// Short decimal rendering for messages (up to 3 decimals, trailing zeros dropped).
func format(_ v: Double) -> String {
    var s = String(Double((v * 1000).rounded()) / 1000)
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}
