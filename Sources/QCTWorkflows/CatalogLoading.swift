import QCTPhantoms

extension PhantomCatalog {
    /// The catalog from `directories` (or, with none, the built-in places PhantomLocator searches)
    /// and extra certificate files; every refused file goes to `report`. No phantom definition
    /// anywhere is a failure that names every folder searched.
    public static func load(directories explicit: [String], certificates: [String], report: DiagnosticSink) throws(WorkflowFailure) -> PhantomCatalog {
        let catalog = PhantomCatalog.load(directories: PhantomLocator.directories(explicit: explicit), extraCertificates: certificates)
        for e in catalog.errors { report(Diagnostic(.refused, "\(e)")) }
        if catalog.phantoms.isEmpty {
            let looked = PhantomLocator.builtIn().searched + explicit
            throw WorkflowFailure("no phantom definitions found; looked in: \(looked.joined(separator: ", ")) (set QCT_PHANTOMS or pass --phantoms DIR)")
        }
        return catalog
    }
}
