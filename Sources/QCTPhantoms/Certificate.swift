/// Certified values of one phantom serial number (mg/cm³ per insert and quantity).
public struct Certificate: Codable, Hashable, Sendable {
    /// Always "qct-certificate/1".
    public var schema: String
    /// `PhantomDefinition.id` this certificate belongs to.
    public var phantom: String
    /// Serial number(s) as printed on the certificate.
    public var serial: String
    /// Where the values come from.
    public var source: String
    /// insert name → quantity → value, mg/cm³.
    public var values: [String: [String: Double]]

    /// A certified value, or nil.
    public func value(insert: String, quantity: String) -> Double? { values[insert]?[quantity] }
}

/// The material catalog file: named materials by composition and density.
public struct MaterialCatalogFile: Codable, Hashable, Sendable {
    /// Always "qct-materials/1".
    public var schema: String
    public var materials: [MaterialEntry]

    /// One material: a chemical formula or mass fractions, and a density.
    public struct MaterialEntry: Codable, Hashable, Sendable {
        public var name: String
        /// Chemical formula, e.g. "K2HPO4".
        public var formula: String?
        /// Mass fractions by element symbol (normalised on load).
        public var massFractions: [String: Double]?
        /// Density, g/cm³.
        public var density: Double
        public var source: String?
    }
}
