import ArgumentParser
import QCTWorkflows

/// `--series UID`: which series of a folder to use.
struct SeriesOption: ParsableArguments {
    @Option(name: .customLong("series"),
            help: "The series to use: its Series Instance UID, or a unique ending of it as inspect shows it (default: the largest CT series that holds the phantom).")
    var uid: String?

    var selection: SeriesSelection { SeriesSelection(uid: uid) }
}
