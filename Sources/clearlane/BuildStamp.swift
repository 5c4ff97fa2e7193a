/// Version and commit baked into a packaged build. `scripts/package` rewrites this file for its
/// release build and restores it afterwards; in a plain `swift build` both are nil and
/// `clearlane --version` reads VERSION and `git describe` from the checkout it runs from instead
/// (or says "unknown").
enum BuildStamp {
    static let version: String? = nil
    static let commit: String? = nil
}
