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
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(CatalogListing(catalog)), as: UTF8.self))
        } else {
            print(CatalogListing.text(catalog))
        }
        if catalog.phantoms.isEmpty { throw ExitCode(ReadExit.nothingUsable) }
        if !catalog.errors.isEmpty { throw ExitCode(ReadExit.someRefused) }
    }
}
