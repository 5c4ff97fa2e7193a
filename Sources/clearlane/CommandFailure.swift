/// A command's failure with the message to print; ArgumentParser prints it as "Error: …" and
/// exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
