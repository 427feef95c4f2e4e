/// The analysis version recorded with every result.
public enum QCTVersion {
    public static let string = "0.1.0"
}
