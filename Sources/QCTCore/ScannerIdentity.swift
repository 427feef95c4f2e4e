import Foundation

/// Who made the images: the keys for trending and for asynchronous
/// calibration (domain reference §9). Values are as the scanner wrote them.
public struct ScannerIdentity: Hashable, Codable, Sendable {
    /// Manufacturer (0008,0070).
    public var manufacturer: String?
    /// Manufacturer's Model Name (0008,1090).
    public var model: String?
    /// Station Name (0008,1010).
    public var stationName: String?
    /// Device Serial Number (0018,1000).
    public var deviceSerialNumber: String?
    /// Software Versions (0018,1020).
    public var softwareVersions: String?
    /// Institution Name (0008,0080).
    public var institutionName: String?

    public init(manufacturer: String? = nil, model: String? = nil, stationName: String? = nil,
                deviceSerialNumber: String? = nil, softwareVersions: String? = nil,
                institutionName: String? = nil) {
        self.manufacturer = manufacturer
        self.model = model
        self.stationName = stationName
        self.deviceSerialNumber = deviceSerialNumber
        self.softwareVersions = softwareVersions
        self.institutionName = institutionName
    }
}

/// How the images were acquired and reconstructed (domain reference §9).
/// Every field carries its unit in its name or documentation.
public struct AcquisitionProtocol: Hashable, Codable, Sendable {
    /// Peak kilovoltage, kV (0018,0060).
    public var kvp: Double?
    /// X-Ray Tube Current, mA (0018,1151).
    public var tubeCurrentMA: Double?
    /// Exposure, mAs (0018,1152, or Exposure in mAs 0018,9332).
    public var exposureMAs: Double?
    /// Convolution Kernel (0018,1210) or Reconstruction Algorithm of an enhanced image.
    public var kernel: String?
    /// Reconstruction Diameter, mm (0018,1100).
    public var reconstructionDiameterMM: Double?
    /// Table Height, mm (0018,1130).
    public var tableHeightMM: Double?
    /// Spiral Pitch Factor (0018,9311), dimensionless.
    public var spiralPitchFactor: Double?
    /// CTDIvol, mGy (0018,9345).
    public var ctdiVolMGy: Double?
    /// Gantry/Detector Tilt, degrees (0018,1120).
    public var gantryTiltDegrees: Double?
    /// Acquisition date and time as written (DICOM DA + TM, or DT).
    public var acquisitionDateTime: String?
    /// Series Description (0008,103E), as written.
    public var seriesDescription: String?

    public init() {}
}

extension ScannerIdentity {
    /// How a person names the scanner: station name, else serial, else model, else manufacturer.
    public var label: String {
        for v in [stationName, deviceSerialNumber, model, manufacturer] {
            if let v = v?.trimmingCharacters(in: .whitespaces), !v.isEmpty { return v }
        }
        return "unknown scanner"
    }
}

/// What a result records about the series it came from: its UID, how many files, its geometry,
/// the nominal slice thickness, the scanner and the acquisition protocol. (The DICOM reader's
/// `Series` also knows its files and what was wrong with them.)
public struct SeriesIdentity: Hashable, Sendable {
    public var seriesInstanceUID: String
    public var files: Int
    public var geometry: VolumeGeometry
    /// Nominal Slice Thickness (0018,0050), mm.
    public var sliceThicknessMM: Double?
    public var scanner: ScannerIdentity
    public var acquisition: AcquisitionProtocol

    public init(seriesInstanceUID: String, files: Int, geometry: VolumeGeometry, sliceThicknessMM: Double?,
                scanner: ScannerIdentity, acquisition: AcquisitionProtocol) {
        self.seriesInstanceUID = seriesInstanceUID
        self.files = files
        self.geometry = geometry
        self.sliceThicknessMM = sliceThicknessMM
        self.scanner = scanner
        self.acquisition = acquisition
    }
}
