import ArgumentParser
import Foundation
import QCTReport
import QCTPhantoms
import QCTWorkflows

/// Options shared by every command that needs the phantom catalog.
struct PhantomOptions: ParsableArguments {
    @Option(name: .customLong("phantoms"), help: "Folder of phantom definitions and certificates (repeatable).")
    var directories: [String] = []

    @Option(name: .customLong("certificate"), help: "Extra certificate file (repeatable).")
    var certificates: [String] = []

    /// The catalog; every refused file gets its one line, and with no phantom definition anywhere
    /// it says where it looked and exits 2.
    func load() throws -> PhantomCatalog {
        try Console.run { try PhantomCatalog.load(directories: directories, certificates: certificates, report: Console.report) }
    }
}

struct Phantoms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List phantom models and certificates.",
        discussion: "Exit status: 0 all files valid; 1 some files refused (each named with its field); 2 none found.")

    @OptionGroup var phantomOptions: PhantomOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let catalog = try phantomOptions.load()
        if json {
            struct Row: Codable { var id, name, calibration, file: String; var inserts: [String]; var certificates: [String] }
            struct Cert: Codable { var phantom, serial, source, file: String }
            struct Out: Codable { var phantoms: [Row]; var certificates: [Cert]; var materials: [String]; var errors: [String] }
            let out = Out(
                phantoms: catalog.phantoms.values.sorted { $0.id < $1.id }.map { p in
                    Row(id: p.id, name: p.name, calibration: p.calibration.rawValue,
                        file: catalog.origin["phantom:" + p.id] ?? "", inserts: p.inserts.map(\.name),
                        certificates: catalog.certificates.filter { $0.phantom == p.id }.map(\.serial))
                },
                certificates: catalog.certificates.map {
                    Cert(phantom: $0.phantom, serial: $0.serial, source: $0.source,
                         file: catalog.origin["certificate:\($0.phantom):\($0.serial)"] ?? "")
                },
                materials: catalog.materials.keys.sorted(), errors: catalog.errors.map(\.description))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(out), as: UTF8.self))
        } else {
            var rows = [["phantom", "calibration", "inserts", "certificates (serial)", "name"]]
            for p in catalog.phantoms.values.sorted(by: { $0.id < $1.id }) {
                let certs = catalog.certificates.filter { $0.phantom == p.id }.map(\.serial)
                rows.append([p.id, p.calibration.rawValue, "\(p.inserts.filter { $0.role != .structure }.count)",
                             certs.isEmpty ? "-" : certs.joined(separator: ", "), p.name])
            }
            print(table(rows).joined(separator: "\n"))
            print("\(catalog.phantoms.count) phantom model(s), \(catalog.certificates.count) certificate(s), \(catalog.materials.count) material(s), \(catalog.errors.count) file problem(s)")
        }
        if catalog.phantoms.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !catalog.errors.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}
