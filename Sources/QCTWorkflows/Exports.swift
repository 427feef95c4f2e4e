// The application layer is what a front end imports: the domain types its workflows take and
// return come with it, so a front end names one module besides its own framework.
@_exported import QCTCore
@_exported import QCTDICOM
@_exported import QCTExport
@_exported import QCTPhantoms
@_exported import QCTCalibration
@_exported import QCTStatistics
@_exported import QCTReport
@_exported import QCTQualityControl
@_exported import QCTStorage
@_exported import QCTSimulator
