import Foundation
import QCTReport
import QCTCore
import QCTDICOM

/// The `qct inspect` output model, serialised as JSON or a text table.
public struct InspectReport: Codable, Sendable {
    public struct SeriesRow: Codable, Sendable {
        public var seriesInstanceUID: String
        public var part: Int?
        public var modality: String?
        /// Acquisition date and time, ISO 8601 (from the DICOM date and time as written).
        public var acquisitionDateTime: String?
        public var seriesDescription: String?
        public var sliceCount: Int
        public var rows: Int
        public var columns: Int
        /// [row spacing, column spacing], mm.
        public var pixelSpacing: [Double]
        /// Distance between slice planes from positions, mm.
        public var sliceSpacing: Double
        /// Nominal Slice Thickness, mm.
        public var sliceThickness: Double?
        public var manufacturer: String?
        public var model: String?
        public var stationName: String?
        public var deviceSerialNumber: String?
        /// kV.
        public var kvp: Double?
        /// mAs.
        public var mAs: Double?
        public var kernel: String?
        public var transferSyntaxes: [String]
        /// HU over non-padding voxels.
        public var huMin: Double?
        public var huMax: Double?
        public var huMean: Double?
        public var origin: [Double]
        public var problems: [String]
        public var files: Int

        enum CodingKeys: String, CodingKey {
            case seriesInstanceUID, part, modality, acquisitionDateTime, seriesDescription, sliceCount, rows, columns, pixelSpacing, sliceSpacing, sliceThickness
            case manufacturer, model, stationName, deviceSerialNumber, kvp, mAs, kernel, transferSyntaxes
            case huMin, huMax, huMean, origin, problems, files
        }

        /// Every key is written, absent values as null, so readers can rely on the schema.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(seriesInstanceUID, forKey: .seriesInstanceUID)
            try c.encode(part, forKey: .part)
            try c.encode(modality, forKey: .modality)
            try c.encode(acquisitionDateTime, forKey: .acquisitionDateTime)
            try c.encode(seriesDescription, forKey: .seriesDescription)
            try c.encode(sliceCount, forKey: .sliceCount)
            try c.encode(rows, forKey: .rows)
            try c.encode(columns, forKey: .columns)
            try c.encode(pixelSpacing, forKey: .pixelSpacing)
            try c.encode(sliceSpacing, forKey: .sliceSpacing)
            try c.encode(sliceThickness, forKey: .sliceThickness)
            try c.encode(manufacturer, forKey: .manufacturer)
            try c.encode(model, forKey: .model)
            try c.encode(stationName, forKey: .stationName)
            try c.encode(deviceSerialNumber, forKey: .deviceSerialNumber)
            try c.encode(kvp, forKey: .kvp)
            try c.encode(mAs, forKey: .mAs)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(transferSyntaxes, forKey: .transferSyntaxes)
            try c.encode(huMin, forKey: .huMin)
            try c.encode(huMax, forKey: .huMax)
            try c.encode(huMean, forKey: .huMean)
            try c.encode(origin, forKey: .origin)
            try c.encode(problems, forKey: .problems)
            try c.encode(files, forKey: .files)
        }
    }

    public var schemaVersion = 1
    public var analysisVersion = QCTVersion.string
    public var series: [SeriesRow]
    public var rejected: [RejectedFile]
    public var excluded: [ExcludedItem]

    /// Reads `paths`: headers only, or with `huRange` every series decoded (one at a time, each
    /// volume let go once its statistics are taken), files whose pixels fail refused.
    public static func read(_ paths: [String], huRange: Bool, progress: SeriesReader.Progress? = nil) -> InspectReport {
        let r = SeriesReader.read(paths: paths, decodePixels: false, progress: huRange ? nil : progress)
        guard huRange else { return InspectReport(r, statistics: r.series.map { _ in nil }) }
        var series: [Series] = [], statistics: [VoxelStatistics?] = [], rejected = r.rejected
        let counter = ProgressCounter(total: r.series.reduce(0) { $0 + $1.frames.count }, callback: progress)
        for s in r.series {
            let loaded = SeriesReader.load(s, progress: counter.step)
            rejected += loaded.rejected
            for part in loaded.parts {
                series.append(part.series)
                statistics.append(part.volume.statistics())
            }
        }
        var read = r
        (read.series, read.rejected) = (series, rejected.sorted { $0.path < $1.path })
        return InspectReport(read, statistics: statistics)
    }

    /// The report of series read, with each one's HU statistics where its pixels were decoded.
    public init(_ r: ReadResult, statistics: [VoxelStatistics?]) {
        series = zip(r.series, statistics)
            .map { s, stats in
                let g = s.geometry
                return SeriesRow(
                    seriesInstanceUID: s.seriesInstanceUID, part: s.part, modality: s.modality,
                    acquisitionDateTime: DicomDateTime.iso(s.acquisition.acquisitionDateTime) ?? s.acquisition.acquisitionDateTime,
                    seriesDescription: s.acquisition.seriesDescription,
                    sliceCount: g.slices, rows: g.rows, columns: g.columns,
                    pixelSpacing: [g.rowSpacing, g.columnSpacing], sliceSpacing: g.sliceSpacing,
                    sliceThickness: s.sliceThicknessMM, manufacturer: s.scanner.manufacturer,
                    model: s.scanner.model, stationName: s.scanner.stationName,
                    deviceSerialNumber: s.scanner.deviceSerialNumber, kvp: s.acquisition.kvp,
                    mAs: s.acquisition.exposureMAs, kernel: s.acquisition.kernel,
                    transferSyntaxes: s.transferSyntaxes,
                    huMin: stats.flatMap { $0.count > 0 ? $0.min : nil },
                    huMax: stats.flatMap { $0.count > 0 ? $0.max : nil },
                    huMean: stats.flatMap { $0.count > 0 ? $0.mean : nil },
                    origin: [g.origin.x, g.origin.y, g.origin.z],
                    problems: s.problems.map(\.description), files: s.filePaths.count)
            }
        rejected = r.rejected
        excluded = r.excluded
    }

    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public func text() -> String {
        var lines: [String] = []
        let header = ["series", "modality", "acquired", "description", "slices", "matrix", "pixel mm", "spacing mm", "thick mm",
                      "manufacturer", "model", "station", "serial", "kVp", "mAs", "kernel", "HU min..max"]
        var rows: [[String]] = [header]
        for s in series {
            rows.append([
                SeriesInput.shortUID(s.seriesInstanceUID) + (s.part.map { "#\($0)" } ?? ""), s.modality ?? "-",
                s.acquisitionDateTime ?? "-", s.seriesDescription.map { $0.count > 24 ? String($0.prefix(23)) + "…" : $0 } ?? "-",
                "\(s.sliceCount)", "\(s.columns)x\(s.rows)",
                "\(num(s.pixelSpacing[0]))x\(num(s.pixelSpacing[1]))", num(s.sliceSpacing),
                s.sliceThickness.map(num) ?? "-", s.manufacturer ?? "-", s.model ?? "-",
                s.stationName ?? "-", s.deviceSerialNumber ?? "-", s.kvp.map(num) ?? "-",
                s.mAs.map(num) ?? "-", s.kernel ?? "-",
                s.huMin.map { "\(num($0))..\(num(s.huMax ?? $0))" } ?? "-",
            ])
        }
        lines += table(rows)
        for s in series where !s.problems.isEmpty {
            for p in s.problems { lines.append("  \(SeriesInput.shortUID(s.seriesInstanceUID)): \(p)") }
        }
        lines.append("\(series.count) series, \(rejected.count) file(s) refused, \(excluded.count) item(s) kept out")
        for e in excluded { lines.append("  kept out: \(e.identifier) (\(e.count)): \(e.reason)") }
        return lines.joined(separator: "\n")
    }
}


