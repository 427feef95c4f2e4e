/// A named defect of an assembled series. Problems do not stop loading;
/// each says what was found and what qct did about it.
public struct SeriesProblem: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Slice positions jump by more than 1.5 × the typical spacing.
        case gap
        /// Two or more slices at the same position.
        case duplicateSlices
        /// Spacing between neighbouring slices varies by more than 1 %.
        case unevenSpacing
        /// Slices are stacked obliquely to their normal (tilted gantry).
        case gantryTilt
        /// The Series Instance UID held images of several matrix sizes or
        /// orientations; it was split into one series per geometry.
        case mixedGeometry
        /// Pixel spacing differs between slices.
        case mixedPixelSpacing
        /// No Image Position/Orientation: slices ordered by Instance Number,
        /// spacing from Spacing Between Slices or Slice Thickness.
        case missingGeometry
        /// Multi-frame image without per-frame positions.
        case noPerFramePositions
        /// Rescale Type is present and is not HU.
        case notHounsfield
    }

    public var kind: Kind
    public var detail: String
    /// For a gap: each gap's [first, last] position along the slice normal (mm; z for axial
    /// slices) — the slices either side of it.
    public var gapsMM: [[Double]]?

    public init(_ kind: Kind, _ detail: String, gapsMM: [[Double]]? = nil) {
        self.kind = kind
        self.detail = detail
        self.gapsMM = gapsMM
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}
