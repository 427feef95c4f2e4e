// libFuzzer harnesses for what qct builds from the files it reads, above the shim
// (Fuzz/shim_read.cpp covers the shim's open, header parse and codecs):
//
//   series      several files (the input split at `QCT-NEXT-FILE`), read as qct reads a folder:
//               headers, series assembly (sorting, spacing, duplicates, tilt) and volume load;
//   multiframe  one file, read the same way: enhanced multi-frame splitting into frames
//               (per-frame and shared functional groups), then assembly and load;
//   json        the phantom folder's documents (phantom, certificate, materials, scanners, scenes,
//               QC policy), a saved calibration (`qct calibrate --save`) and a manual ROI file.
//
// The harness is chosen by QCT_FUZZ_TARGET. Built with -DQCT_FUZZ, `main` hands over to
// libFuzzer's driver; without it, the same binary replays the files it is given (one input
// each), which is how a finding is reproduced outside the fuzzer.
import Foundation
import QCTWorkflows

enum Harness: String {
    case series, multiframe, json

    /// Where inputs are written: qct reads paths, as it does from a scanner or a PACS. In /dev/shm
    /// (memory) where the machine has it: the file system's cost is not what is being fuzzed.
    static let work: URL = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        let dir = URL(fileURLWithPath: base).appendingPathComponent("qct-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    static let separator = Array("QCT-NEXT-FILE".utf8)

    /// The documents a phantom or certificate refers to, copied once beside every input.
    static let phantomFolder: URL = {
        let dir = work.appendingPathComponent("phantoms")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = ProcessInfo.processInfo.environment["QCT_PHANTOMS"] ?? "Phantoms"
        for name in ["materials.json", "mindways-model3-ct.json", "esp.json"] {
            let from = URL(fileURLWithPath: source).appendingPathComponent(name)
            try? FileManager.default.copyItem(at: from, to: dir.appendingPathComponent(name))
        }
        return dir
    }()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .series: Self.readSeries(files: Self.split(bytes))
        case .multiframe: Self.readSeries(files: [bytes])
        case .json: Self.readDocuments(bytes)
        }
    }

    /// The input cut at each separator, at most 16 files.
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var files: [[UInt8]] = [], start = 0, i = 0
        while i + separator.count <= bytes.count, files.count < 15 {
            if bytes[i] == separator[0], Array(bytes[i..<i + separator.count]) == separator {
                files.append(Array(bytes[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        files.append(Array(bytes[start...]))
        return files
    }

    static func readSeries(files: [[UInt8]]) {
        let dir = work.appendingPathComponent("series")
        try? FileManager.default.removeItem(at: dir)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (k, file) in files.enumerated() {
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("IM\(k).dcm").path, contents: Data(file))
        }
        let result = SeriesReader.read(paths: [dir.path])
        // What every command does next with a read: geometry, scanner and protocol of each series,
        // and the HU statistics of each volume (every voxel visited).
        for (series, volume) in zip(result.series, result.volumes) {
            _ = series.identity
            _ = series.filePaths
            _ = series.transferSyntaxes
            _ = volume.statistics()
        }
    }

    static func readDocuments(_ bytes: [UInt8]) {
        let folder = phantomFolder
        let input = folder.appendingPathComponent("input.json")
        _ = FileManager.default.createFile(atPath: input.path, contents: Data(bytes))
        _ = PhantomCatalog.load(directories: [folder.path])
        _ = try? SavedCalibration(path: input.path, allowMismatch: false, maximumAgeDays: 30, needsAlongZ: false)
        _ = try? JSONFile.read(ManualROIs.self, at: input.path, what: "a ROI file")
        try? FileManager.default.removeItem(at: input)
    }
}

let harness: Harness = {
    let name = ProcessInfo.processInfo.environment["QCT_FUZZ_TARGET"] ?? "series"
    guard let h = Harness(rawValue: name) else {
        FileHandle.standardError.write(Data("QCT_FUZZ_TARGET must be series, multiframe or json, not \(name)\n".utf8))
        exit(2)
    }
    return h
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    harness.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if QCT_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

@main
enum Main {
    static func main() {
        #if QCT_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
        #else
        // Replay: each argument is one input.
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileBytes.read(atPath: path) else {
                FileHandle.standardError.write(Data("qct-fuzz: \(path): cannot read file\n".utf8))
                exit(2)
            }
            harness.run(Array(data))
            print("\(path): read")
        }
        #endif
    }
}
