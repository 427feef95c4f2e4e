/// A DICOM attribute tag, (group, element).
public struct DicomTag: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    var code: UInt32 { UInt32(group) << 16 | UInt32(element) }

    public var description: String {
        func hex(_ v: UInt16) -> String {
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        return "(\(hex(group)),\(hex(element)))"
    }
}

/// The attributes qct reads (PS3.6 data dictionary).
public extension DicomTag {
    static let transferSyntaxUID = DicomTag(0x0002, 0x0010)
    static let imageType = DicomTag(0x0008, 0x0008)
    static let sopClassUID = DicomTag(0x0008, 0x0016)
    static let sopInstanceUID = DicomTag(0x0008, 0x0018)
    static let studyDate = DicomTag(0x0008, 0x0020)
    static let seriesDate = DicomTag(0x0008, 0x0021)
    static let acquisitionDate = DicomTag(0x0008, 0x0022)
    static let contentDate = DicomTag(0x0008, 0x0023)
    static let studyTime = DicomTag(0x0008, 0x0030)
    static let seriesTime = DicomTag(0x0008, 0x0031)
    static let acquisitionTime = DicomTag(0x0008, 0x0032)
    static let contentTime = DicomTag(0x0008, 0x0033)
    static let acquisitionDateTime = DicomTag(0x0008, 0x002A)
    static let modality = DicomTag(0x0008, 0x0060)
    static let manufacturer = DicomTag(0x0008, 0x0070)
    static let institutionName = DicomTag(0x0008, 0x0080)
    static let stationName = DicomTag(0x0008, 0x1010)
    static let seriesDescription = DicomTag(0x0008, 0x103E)
    static let manufacturerModelName = DicomTag(0x0008, 0x1090)
    static let frameType = DicomTag(0x0008, 0x9007)
    static let sliceThickness = DicomTag(0x0018, 0x0050)
    static let kvp = DicomTag(0x0018, 0x0060)
    static let spacingBetweenSlices = DicomTag(0x0018, 0x0088)
    static let deviceSerialNumber = DicomTag(0x0018, 0x1000)
    static let softwareVersions = DicomTag(0x0018, 0x1020)
    static let reconstructionDiameter = DicomTag(0x0018, 0x1100)
    static let gantryDetectorTilt = DicomTag(0x0018, 0x1120)
    static let tableHeight = DicomTag(0x0018, 0x1130)
    static let exposureTime = DicomTag(0x0018, 0x1150)
    static let xRayTubeCurrent = DicomTag(0x0018, 0x1151)
    static let exposure = DicomTag(0x0018, 0x1152)
    static let convolutionKernel = DicomTag(0x0018, 0x1210)
    static let exposureInmAs = DicomTag(0x0018, 0x9332)
    static let spiralPitchFactor = DicomTag(0x0018, 0x9311)
    static let ctdiVol = DicomTag(0x0018, 0x9345)
    static let ctReconstructionSequence = DicomTag(0x0018, 0x9314)
    static let reconstructionAlgorithm = DicomTag(0x0018, 0x9315)
    static let ctImageFrameTypeSequence = DicomTag(0x0018, 0x9329)
    static let ctAcquisitionDetailsSequence = DicomTag(0x0018, 0x9304)
    static let ctXRayDetailsSequence = DicomTag(0x0018, 0x9326)
    static let ctExposureSequence = DicomTag(0x0018, 0x9321)
    static let studyInstanceUID = DicomTag(0x0020, 0x000D)
    static let seriesInstanceUID = DicomTag(0x0020, 0x000E)
    static let seriesNumber = DicomTag(0x0020, 0x0011)
    static let instanceNumber = DicomTag(0x0020, 0x0013)
    static let imagePositionPatient = DicomTag(0x0020, 0x0032)
    static let imageOrientationPatient = DicomTag(0x0020, 0x0037)
    static let frameOfReferenceUID = DicomTag(0x0020, 0x0052)
    static let planePositionSequence = DicomTag(0x0020, 0x9113)
    static let planeOrientationSequence = DicomTag(0x0020, 0x9116)
    static let frameContentSequence = DicomTag(0x0020, 0x9111)
    static let samplesPerPixel = DicomTag(0x0028, 0x0002)
    static let photometricInterpretation = DicomTag(0x0028, 0x0004)
    static let numberOfFrames = DicomTag(0x0028, 0x0008)
    static let rows = DicomTag(0x0028, 0x0010)
    static let columns = DicomTag(0x0028, 0x0011)
    static let pixelSpacing = DicomTag(0x0028, 0x0030)
    static let bitsAllocated = DicomTag(0x0028, 0x0100)
    static let bitsStored = DicomTag(0x0028, 0x0101)
    static let pixelRepresentation = DicomTag(0x0028, 0x0103)
    static let pixelPaddingValue = DicomTag(0x0028, 0x0120)
    static let pixelPaddingRangeLimit = DicomTag(0x0028, 0x0121)
    static let rescaleIntercept = DicomTag(0x0028, 0x1052)
    static let rescaleSlope = DicomTag(0x0028, 0x1053)
    static let rescaleType = DicomTag(0x0028, 0x1054)
    static let pixelMeasuresSequence = DicomTag(0x0028, 0x9110)
    static let pixelValueTransformationSequence = DicomTag(0x0028, 0x9145)
    static let sharedFunctionalGroups = DicomTag(0x5200, 0x9229)
    static let perFrameFunctionalGroups = DicomTag(0x5200, 0x9230)
    static let pixelData = DicomTag(0x7FE0, 0x0010)
    static let accessionNumber = DicomTag(0x0008, 0x0050)
    static let referringPhysicianName = DicomTag(0x0008, 0x0090)
    static let studyDescription = DicomTag(0x0008, 0x1030)
    static let patientName = DicomTag(0x0010, 0x0010)
    static let patientID = DicomTag(0x0010, 0x0020)
    static let patientBirthDate = DicomTag(0x0010, 0x0030)
    static let patientSex = DicomTag(0x0010, 0x0040)
    static let bodyPartExamined = DicomTag(0x0018, 0x0015)
    static let patientPosition = DicomTag(0x0018, 0x5100)
    static let studyID = DicomTag(0x0020, 0x0010)
    static let acquisitionNumber = DicomTag(0x0020, 0x0012)
    static let positionReferenceIndicator = DicomTag(0x0020, 0x1040)
    static let sliceLocation = DicomTag(0x0020, 0x1041)
    static let highBit = DicomTag(0x0028, 0x0102)
    static let windowCenter = DicomTag(0x0028, 0x1050)
    static let windowWidth = DicomTag(0x0028, 0x1051)
}
