/// A phantom, certificate or material file that cannot be used: names the
/// file and the field.
public struct PhantomError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var problem: String

    public init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "\(file): \(problem)" : "\(file): field \(field): \(problem)"
    }
}
