import Foundation
import QCTStatistics

/// One scanner against nominal (and against the reference scanner).
public struct ScannerRegression: Codable, Sendable {
    public var scanner: String
    /// Vertebra means, in vertebra order, and the nominal values.
    public var means: [Double]
    public var nominal: [Double]
    /// measured = intercept + slope · nominal (domain reference §6).
    public var versusNominal: Regression?
    /// This scanner = intercept + slope · reference scanner, over vertebra means.
    public var versusReference: Regression?
    /// corrected = (measured − intercept) / slope, to nominal or to the reference.
    public var correction: String
}

/// Bland–Altman agreement of two scanners over paired readings (the same
/// vertebra, repeat i on each).
public struct ScannerAgreement: Codable, Sendable {
    public var reference: String
    public var scanner: String
    public var agreement: BlandAltman
}

/// Per vertebra, whether the scanners read alike: one-way ANOVA and Welch.
public struct VertebraAcrossScanners: Codable, Sendable {
    public var vertebra: String
    public var means: [Double]
    public var anova: OneWayANOVA?
}

/// Scanners side by side (the QCT1–QCT3 layout): regressions against
/// nominal, correction equations, Bland–Altman and ANOVA.
public struct ScannerComparison: Codable, Sendable {
    public var schemaVersion = 1
    public var kind = "qct-scanner-comparison"
    public var analysisVersion: String
    public var unit = "mg K2HPO4/cm3"
    public var nominalUnit = "mg HA/cm3"
    public var vertebrae: [String]
    public var scanners: [String]
    /// The scanner others are corrected to; nil: corrected to nominal.
    public var reference: String?
    public var regressions: [ScannerRegression]
    public var agreement: [ScannerAgreement]
    public var acrossScanners: [VertebraAcrossScanners]
    public var precision: PrecisionStudy

    public init(_ study: PrecisionStudy, reference: String?) {
        analysisVersion = study.analysisVersion
        precision = study
        self.reference = reference
        let groups = study.scanners
        scanners = groups.map(\.scanner)
        let names = groups.first?.precision.sites.map(\.name) ?? []
        vertebrae = names
        let ref = groups.first { $0.scanner == reference }
        regressions = groups.map { g in
            // Aligned on the first scanner's vertebrae (NaN where this scanner has none).
            let aligned = names.map { name in g.precision.sites.first { $0.name == name } }
            let sites = aligned.compactMap { $0 }
            let means = aligned.map { $0?.mean ?? .nan }, nominal = aligned.map { $0?.nominal ?? .nan }
            let known = zip(nominal, means).filter { $0.0.isFinite && $0.1.isFinite }
            let vsNominal = Regression(x: known.map(\.0), y: known.map(\.1))
            let vsReference = ref.flatMap { r -> Regression? in
                let pairs = sites.compactMap { s in r.precision.sites.first { $0.name == s.name }.map { ($0.mean, s.mean) } }
                return Regression(x: pairs.map(\.0), y: pairs.map(\.1))
            }
            let line = reference != nil ? vsReference : vsNominal
            let target = reference.map { "\($0) reading" } ?? "nominal"
            let correction = line.map { String(format: "%@ = (%@ reading − %.4f) / %.5f", target, g.scanner, $0.intercept, $0.slope) } ?? "-"
            return ScannerRegression(scanner: g.scanner, means: means, nominal: nominal, versusNominal: vsNominal,
                                     versusReference: vsReference, correction: correction)
        }
        // Agreement: every scanner against the reference (else the first).
        let base = ref ?? groups.first
        agreement = groups.filter { $0.scanner != base?.scanner }.compactMap { g in
            guard let base else { return nil }
            var a: [Double] = [], b: [Double] = []
            for s in g.precision.sites {
                guard let r = base.precision.sites.first(where: { $0.name == s.name }) else { continue }
                let n = min(s.readings.count, r.readings.count)
                a += r.readings.prefix(n)
                b += s.readings.prefix(n)
            }
            return BlandAltman(a: a, b: b).map { ScannerAgreement(reference: base.scanner, scanner: g.scanner, agreement: $0) }
        }
        acrossScanners = vertebrae.map { name in
            let sites = groups.map { g in g.precision.sites.first { $0.name == name } }
            return VertebraAcrossScanners(vertebra: name, means: sites.map { $0?.mean ?? .nan },
                                          anova: sites.contains { $0 == nil } ? nil : OneWayANOVA(sites.map { $0?.readings ?? [] }))
        }
    }
}
