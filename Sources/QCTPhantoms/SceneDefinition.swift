/// A named arrangement of phantoms for the digital scanner.
public struct SceneDefinition: Codable, Hashable, Sendable {
    public var name: String
    public var description: String
    public var phantoms: [Placement]

    /// One phantom of the scene, offset from the scene origin (patient frame, mm).
    public struct Placement: Codable, Hashable, Sendable {
        public var id: String
        /// [x, y, z], mm.
        public var offset: [Double]
    }
}

/// The scenes file.
public struct ScenesFile: Codable, Hashable, Sendable {
    /// Always "qct-scenes/1".
    public var schema: String
    public var scenes: [SceneDefinition]
}
