import Foundation
import QCTPhantoms
import QCTReport

/// What `qct phantoms` lists: every phantom model, certificate and material, with the file each
/// came from and every file refused.
public struct CatalogListing: Codable, Sendable {
    public struct Phantom: Codable, Sendable { public var id, name, calibration, file: String; public var inserts: [String]; public var certificates: [String] }
    public struct CertificateRow: Codable, Sendable { public var phantom, serial, source, file: String }
    public var phantoms: [Phantom]
    public var certificates: [CertificateRow]
    public var materials: [String]
    public var errors: [String]

    public init(_ catalog: PhantomCatalog) {
        phantoms = catalog.phantoms.values.sorted { $0.id < $1.id }.map { p in
            Phantom(id: p.id, name: p.name, calibration: p.calibration.rawValue, file: catalog.origin["phantom:" + p.id] ?? "",
                    inserts: p.inserts.map(\.name), certificates: catalog.certificates.filter { $0.phantom == p.id }.map(\.serial))
        }
        certificates = catalog.certificates.map {
            CertificateRow(phantom: $0.phantom, serial: $0.serial, source: $0.source, file: catalog.origin["certificate:\($0.phantom):\($0.serial)"] ?? "")
        }
        materials = catalog.materials.keys.sorted()
        errors = catalog.errors.map(\.description)
    }

    /// The listing as a table, with a count line.
    public static func text(_ catalog: PhantomCatalog) -> String {
        var rows = [["phantom", "calibration", "inserts", "certificates (serial)", "name"]]
        for p in catalog.phantoms.values.sorted(by: { $0.id < $1.id }) {
            let certs = catalog.certificates.filter { $0.phantom == p.id }.map(\.serial)
            rows.append([p.id, p.calibration.rawValue, "\(p.inserts.filter { $0.role != .structure }.count)",
                         certs.isEmpty ? "-" : certs.joined(separator: ", "), p.name])
        }
        return (table(rows) + ["\(catalog.phantoms.count) phantom model(s), \(catalog.certificates.count) certificate(s), \(catalog.materials.count) material(s), \(catalog.errors.count) file problem(s)"])
            .joined(separator: "\n")
    }
}
