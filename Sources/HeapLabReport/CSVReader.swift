/// Reads CSV text (RFC 4180) back into records of fields: what spreadsheets and `CSVExport` write.
///
/// Accepts CRLF or LF line ends, quoted fields with doubled quotes and embedded commas and line breaks, and a
/// final line with or without a line end. Throws on a quote inside an unquoted field or an unterminated quoted
/// field, rather than guessing.
public enum CSVReader {
    /// Malformed CSV, with the 1-based line where it was found.
    public struct FormatError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "CSV line \(line): \(message)" }
    }

    /// The records of `text`, each a list of fields. An empty text has no records.
    public static func parse(_ text: String) throws(FormatError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var line = 1
        var quoted = false       // inside a quoted field
        var fieldWasQuoted = false
        var atFieldStart = true
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

        func endRecord() {
            record.append(field)
            records.append(record)
            record = []
            field = ""
            fieldWasQuoted = false
            atFieldStart = true
        }

        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                        pending = next
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case ",":
                record.append(field)
                field = ""
                fieldWasQuoted = false
                atFieldStart = true
            case "\r":
                let next = iterator.next()
                if next != "\n" { pending = next }
                endRecord()
                line += 1
            case "\n":
                endRecord()
                line += 1
            case "\"":
                guard atFieldStart else {
                    throw FormatError(line: line, message: "a quote inside an unquoted field (quote the field and double the quote)")
                }
                quoted = true
                fieldWasQuoted = true
                atFieldStart = false
            default:
                if fieldWasQuoted {
                    throw FormatError(line: line, message: "text after the closing quote of a field")
                }
                field.unicodeScalars.append(c)
                atFieldStart = false
            }
        }
        if quoted { throw FormatError(line: line, message: "a quoted field is not closed") }
        // A last record without a line end.
        if !atFieldStart || !record.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
