import ArgumentParser

@main
struct QCT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qct",
        abstract: "QCT phantom calibration and quality control.",
        version: QCTVersion.string,
        subcommands: [Inspect.self, Export.self]
    )
}

/// The analysis version recorded with every result.
enum QCTVersion {
    static let string = "0.1.0"
}

/// Exit statuses shared by the reading commands.
enum ReadExit {
    /// Every file was read.
    static let allRead: Int32 = 0
    /// Some files were refused; the rest was used.
    static let someRefused: Int32 = 1
    /// Nothing usable, or bad arguments.
    static let nothingUsable: Int32 = 2
}
