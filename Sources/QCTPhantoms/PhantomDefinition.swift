/// A phantom model: its body and inserts as a geometry template, and how it
/// calibrates. Certified values live in `Certificate` files, never here.
///
/// Coordinates are in the phantom's own frame, mm: x left–right, y
/// anterior–posterior (+y towards the table), z along the rods or spine;
/// the body is centred on the origin. Schema: Docs/phantoms.md.
public struct PhantomDefinition: Codable, Hashable, Sendable {
    /// Always "qct-phantom/1".
    public var schema: String
    /// Stable identifier, e.g. "mindways-model3-ct".
    public var id: String
    public var name: String
    /// How rod readings become a calibration.
    public var calibration: CalibrationMethod
    /// Names of the certified quantities every certificate gives per insert
    /// (mg/cm³), e.g. ["K2HPO4", "water"] or ["HA"].
    public var certificateQuantities: [String]
    /// The outer body.
    public var body: Solid
    /// Inserts, drawn in order over the body (a later insert covers an earlier one).
    public var inserts: [Insert]
    /// How far, mm, a real phantom's inserts may sit from this template
    /// (the simulator's drawing and the placement of rods no image can show).
    public var positionToleranceMM: Double
    /// How the rods relate to one another (rod finding uses this, never the template positions).
    /// When absent it is derived from the template: `effectiveLayout`.
    public var layout: RodLayout?
    /// Plausibility bands of the fit; when absent, `effectiveGates`.
    public var gates: FitBands?
    /// Where the geometry and materials come from.
    public var sources: [String]
    /// A patient's anatomy, drawn from these parameters (the inserts are made from them and the
    /// list above stays empty); nil for a phantom.
    public var anatomy: AbdomenAnatomy?

    /// Rods and plugs: the inserts a calibration measures, in file order.
    public var calibrationInserts: [Insert] { inserts.filter { $0.role == .rod || $0.role == .plug } }

    /// `layout`, or one derived from the template when the file has none: a
    /// cluster as wide as the template's rods are apart (× 1.5), diameters
    /// from ½ to 2× the template's.
    public var effectiveLayout: RodLayout {
        if let layout { return layout }
        let rods = calibrationInserts
        let radii = rods.map { $0.shape.halfExtents.0 }
        var span = 0.0
        for a in rods { for b in rods { span = max(span, hypot2(a.shape.center[0] - b.shape.center[0], a.shape.center[1] - b.shape.center[1])) } }
        return RodLayout(arrangement: .cluster, rodDiameterMM: [max(4, (radii.min() ?? 4)), 4 * (radii.max() ?? 7.5)],
                         maxSpanMM: max(40, 1.5 * span), toleranceMM: max(5, positionToleranceMM),
                         minLengthMM: max(5, rods.map { $0.shape.zRange.upperBound - $0.shape.zRange.lowerBound }.min() ?? 10))
    }

    /// `gates`, or the defaults of the method (domain reference §3).
    public var effectiveGates: FitBands {
        if let gates { return gates }
        switch calibration {
        case .mindwaysTwoComponent: return FitBands(slope: [0.5, 3.5], intercept: [30, 60], source: "default for 40–150 keV beams")
        case .linear: return FitBands(slope: [0.2, 1.6], intercept: [15, 30], source: "default for HA in a water-equivalent base, 70–140 kVp")
        case .none: return FitBands(slope: [0.6, 1.4], intercept: [60, 120], source: "default for CT-number plugs")
        }
    }

    public enum CalibrationMethod: String, Codable, Hashable, Sendable {
        /// Mindways two-component fit (domain reference §3).
        case mindwaysTwoComponent = "mindways-two-component"
        /// Least-squares line through certified densities.
        case linear
        /// Not a calibration phantom (e.g. the ESP, CatPhan).
        case none
    }

    /// One part of the phantom.
    public struct Insert: Codable, Hashable, Sendable {
        public var name: String
        /// What the insert is for.
        public var role: Role
        public var shape: Shape
        public var composition: Composition
        /// Nominal value for reports (e.g. HU for CatPhan plugs, mg HA/cm³ for ESP), if any.
        public var nominal: Double?
        /// Unit of `nominal`.
        public var nominalUnit: String?

        public init(name: String, role: Role, shape: Shape, composition: Composition, nominal: Double? = nil, nominalUnit: String? = nil) {
            self.name = name
            self.role = role
            self.shape = shape
            self.composition = composition
            self.nominal = nominal
            self.nominalUnit = nominalUnit
        }

        public enum Role: String, Codable, Hashable, Sendable {
            /// A calibration rod with certified values.
            case rod
            /// A vertebral trabecular region with a certified density.
            case vertebra
            /// A material plug with a nominal CT number (CT-number linearity).
            case plug
            /// Geometry only (shells, processes, holes).
            case structure
            /// A soft tissue or blood of a patient (fat, muscle, blood), with its truth.
            case tissue
        }
    }

    /// The phantom body.
    public struct Solid: Codable, Hashable, Sendable {
        public var shape: Shape
        public var composition: Composition

        public init(shape: Shape, composition: Composition) {
            self.shape = shape
            self.composition = composition
        }
    }
}

@inline(__always) func hypot2(_ a: Double, _ b: Double) -> Double { (a * a + b * b).squareRoot() }

/// A prism along z: every shape qct phantoms need.
public struct Shape: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        /// Axis-aligned box: `center` [x, y, z], `size` [x, y, z].
        case box
        /// Elliptic cylinder along z: `center` [x, y], `semiAxes` [a, b], `z` [from, to].
        case ellipticCylinder
        /// Circular cylinder along z: `center` [x, y], `radius`, `z` [from, to].
        case cylinder
    }
    public var kind: Kind
    public var center: [Double]
    public var size: [Double]?
    public var semiAxes: [Double]?
    public var radius: Double?
    public var z: [Double]?

    public init(kind: Kind, center: [Double], size: [Double]? = nil, semiAxes: [Double]? = nil, radius: Double? = nil, z: [Double]? = nil) {
        self.kind = kind
        self.center = center
        self.size = size
        self.semiAxes = semiAxes
        self.radius = radius
        self.z = z
    }

    /// In-plane half extents (x, y), mm.
    public var halfExtents: (Double, Double) {
        switch kind {
        case .box: return ((size?[0] ?? 0) / 2, (size?[1] ?? 0) / 2)
        case .ellipticCylinder: return (semiAxes?[0] ?? 0, semiAxes?[1] ?? 0)
        case .cylinder: return (radius ?? 0, radius ?? 0)
        }
    }

    /// z interval covered, mm.
    public var zRange: ClosedRange<Double> {
        switch kind {
        case .box:
            let c = center.count > 2 ? center[2] : 0, h = (size?[2] ?? 0) / 2
            return (c - h)...(c + h)
        default:
            let a = z?[0] ?? 0, b = z?[1] ?? 0
            return min(a, b)...max(a, b)
        }
    }

    /// True when in-plane point (x, y) of the phantom frame is inside the section.
    @inline(__always)
    public func contains(x: Double, y: Double) -> Bool {
        let dx = x - center[0], dy = y - center[1]
        switch kind {
        case .box:
            let (hx, hy) = halfExtents
            return abs(dx) <= hx && abs(dy) <= hy
        case .ellipticCylinder:
            let (a, b) = halfExtents
            return (dx * dx) / (a * a) + (dy * dy) / (b * b) <= 1
        case .cylinder:
            let r = radius ?? 0
            return dx * dx + dy * dy <= r * r
        }
    }
}

/// What an insert is made of.
///
/// Either a catalog material (`material`), or partial densities (`parts`,
/// mg/cm³, numbers or `"certificate:QUANTITY"`) that add up as given
/// (Mindways' K2HPO4- and water-equivalent convention), or parts that
/// displace a `matrix` material by volume (HA powder in resin).
public struct Composition: Codable, Hashable, Sendable {
    public var material: String?
    public var matrix: String?
    public var parts: [Part]?

    public struct Part: Codable, Hashable, Sendable {
        public var material: String
        /// mg/cm³ as a number, or "certificate:QUANTITY".
        public var mgPerCm3: Amount
    }

    public init(material: String) {
        self.material = material
    }

    /// `parts` in mg/cm³, in `matrix` when given (the matrix fills the volume the parts leave).
    public init(matrix: String?, parts: [(String, Double)]) {
        self.matrix = matrix
        self.parts = parts.map { Part(material: $0.0, mgPerCm3: .value($0.1)) }
    }
}

/// A number, or a reference to a certified quantity of the insert.
public enum Amount: Codable, Hashable, Sendable {
    case value(Double)
    case certificate(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Double.self) {
            self = .value(v)
            return
        }
        let s = try c.decode(String.self)
        guard s.hasPrefix("certificate:"), s.count > 12 else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number or \"certificate:QUANTITY\", got \"\(s)\"")
        }
        self = .certificate(String(s.dropFirst(12)))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .value(let v): try c.encode(v)
        case .certificate(let q): try c.encode("certificate:\(q)")
        }
    }
}
