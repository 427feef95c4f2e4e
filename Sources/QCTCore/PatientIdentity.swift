/// Who a patient series belongs to, as the scanner wrote it: Patient ID (0010,0020), Patient's
/// Name (0010,0010), Birth Date (0010,0030) and Sex (0010,0040). These identify a person: they
/// go into the patient's own report and the patient store, never into a log line. Printing the
/// value (`description`, string interpolation) shows no identifier.
public struct PatientIdentity: Codable, Hashable, Sendable, CustomStringConvertible {
    public var id: String?
    public var name: String?
    public var birthDate: String?
    public var sex: String?

    public init(id: String? = nil, name: String? = nil, birthDate: String? = nil, sex: String? = nil) {
        self.id = id
        self.name = name
        self.birthDate = birthDate
        self.sex = sex
    }

    /// Never the identifiers themselves.
    public var description: String { "patient (identifiers withheld)" }
}
