import Foundation

extension RunReport {
    /// Why a RunReports file could not be read: one line naming the report (1-based, with its workload and
    /// manager when they could be read) and the field, with the JSON decoder's own explanation.
    public struct ReadError: Error, Equatable, CustomStringConvertible {
        /// One line: line breaks in the decoder's explanation are replaced by spaces.
        public var message: String
        public init(message: String) { self.message = Self.oneLine(message) }

        static func oneLine(_ text: String) -> String {
            text.contains(where: \.isNewline) ? String(text.map { $0.isNewline ? " " : $0 }) : text
        }
        public var description: String { message }

        /// "report 2 (gcbench on malloc)", or "report 2" when its names are unknown.
        static func label(_ index: Int, _ workload: String?, _ manager: String?) -> String {
            guard let workload, let manager else { return "report \(index + 1)" }
            return "report \(index + 1) (\(workload) on \(manager))"
        }

        init(_ error: DecodingError, data: Data) {
            var what: String
            var path: [any CodingKey]
            switch error {
            case let .typeMismatch(type, c):
                path = c.codingPath
                what = "expected \(Self.kind(type)): \(c.debugDescription)"
            case let .valueNotFound(type, c):
                path = c.codingPath
                what = "is null or missing where \(Self.kind(type)) is required"
            case let .keyNotFound(key, c):
                path = c.codingPath + [key]
                what = "is missing"
            case let .dataCorrupted(c):
                path = c.codingPath
                what = c.debugDescription
                if path.isEmpty {
                    // Foundation's decoder reports a number that does not fit its field (a negative count, a
                    // fraction where an integer belongs) as "not valid JSON", without a path: tell the two apart.
                    message = Self.oneLine(Self.diagnose(data) ?? "not valid JSON: \(what)")
                    return
                }
            @unknown default:
                message = Self.oneLine("\(error)")
                return
            }
            guard let first = path.first else {
                message = Self.oneLine("not a list of RunReports: the file must hold a JSON array ([...]) of reports; \(what)")
                return
            }
            guard let index = first.intValue else {
                message = Self.oneLine("not a list of RunReports: \(what)")
                return
            }
            // The report's names, for the message, from the same bytes read without types.
            var workload: String?, manager: String?
            if let list = try? JSONSerialization.jsonObject(with: data) as? [Any], index < list.count,
               let object = list[index] as? [String: Any] {
                workload = object["workload"] as? String
                manager = object["manager"] as? String
            }
            let field = path.dropFirst().reduce("") { text, key in
                if let i = key.intValue, key.stringValue == "Index \(i)" || key.stringValue == "\(i)" { return text + "[\(i)]" }
                return text + (text.isEmpty ? "" : ".") + key.stringValue
            }
            let label = Self.label(index, workload, manager)
            message = Self.oneLine(field.isEmpty ? "\(label): \(what)" : "\(label): field \(field) \(what)")
        }

        /// "an unsigned integer (UInt64)" for a type the reports use.
        static func kind(_ type: Any.Type) -> String {
            switch type {
            case is UInt64.Type: return "a non-negative integer (UInt64)"
            case is Int.Type: return "an integer"
            case is Double.Type: return "a number"
            case is String.Type: return "a string"
            case is Bool.Type: return "true or false"
            default: return "\(type)"
            }
        }

        // MARK: numbers that do not fit

        /// A step of a path into a JSON value: a key, or an array index.
        enum Step: Equatable {
            case key(String)
            case index(Int)
        }

        /// What is wrong with `data`, when JSONDecoder could only say "not valid JSON": the syntax error, or
        /// the first number that does not fit its field. Nil when neither is found.
        static func diagnose(_ data: Data) -> String? {
            let tree: Any
            do { tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { ": \($0)" } ?? "")
            }
            guard let list = tree as? [Any] else {
                return "not a list of RunReports: the file must hold a JSON array ([...]) of reports"
            }
            for (index, element) in list.enumerated() where !decodes(element) {
                let object = element as? [String: Any]
                let label = label(index, object?["workload"] as? String, object?["manager"] as? String)
                guard let (path, number) = unfitNumber(in: element) else { return "\(label): a value does not fit its field" }
                var kind = "a number"
                if !decodes(replacing(path, in: zeroed(element, except: path), with: NSNumber(value: 0.5))) {
                    kind = decodes(replacing(path, in: zeroed(element, except: path), with: NSNumber(value: -1)))
                        ? "an integer (Int)" : "a non-negative integer (UInt64)"
                }
                return "\(label): field \(text(path)) holds \(number), which does not fit: expected \(kind)"
            }
            return nil
        }

        /// Whether `element` decodes as a RunReport.
        static func decodes(_ element: Any) -> Bool {
            guard JSONSerialization.isValidJSONObject([element]),
                  let data = try? JSONSerialization.data(withJSONObject: [element]) else { return false }
            return (try? JSONDecoder().decode([RunReport].self, from: data)) != nil
        }

        /// A number of `element` that keeps it from decoding, the first in document order (keys sorted).
        ///
        /// Every number that could be out of range (negative, fractional, beyond Int64) is a candidate; 0 fits
        /// every numeric field. With the first `k` candidates left as they are and the rest replaced by 0, the
        /// report decodes for k = 0 (or no number is to blame) and not for k = all; the smallest k for which it
        /// fails names candidate k - 1. Keeping more candidates can not make it decode again, so a binary
        /// search finds k in a few decodes.
        static func unfitNumber(in element: Any) -> (path: [Step], number: String)? {
            let candidates = numbers(in: element, at: []).filter { suspicious($0.1) }
            func keeping(_ k: Int) -> Any {
                candidates[k...].reduce(element) { result, entry in replacing(entry.0, in: result, with: NSNumber(value: 0)) }
            }
            guard !candidates.isEmpty, decodes(keeping(0)) else { return nil }
            var low = 0, high = candidates.count  // decodes(keeping(low)), !decodes(keeping(high))
            while high - low > 1 {
                let middle = (low + high) / 2
                if decodes(keeping(middle)) { low = middle } else { high = middle }
            }
            let (path, number) = candidates[high - 1]
            return (path, number.description)
        }

        /// A number a count or duration field might not hold: negative, fractional, or beyond Int64.
        static func suspicious(_ number: NSNumber) -> Bool {
            let type = String(cString: number.objCType)
            if type == "d" || type == "f" || type == "Q" { return true }
            return number.int64Value < 0
        }

        /// Every number in `value` with its path, in document order (object keys sorted).
        static func numbers(in value: Any, at path: [Step]) -> [([Step], NSNumber)] {
            switch value {
            case let object as [String: Any]:
                return object.keys.sorted().flatMap { numbers(in: object[$0]!, at: path + [.key($0)]) }
            case let array as [Any]:
                return array.enumerated().flatMap { numbers(in: $0.element, at: path + [.index($0.offset)]) }
            case let number as NSNumber where !(value is Bool):
                return [(path, number)]
            default:
                return []
            }
        }

        /// `element` with every suspicious number but the one at `kept` replaced by 0.
        static func zeroed(_ element: Any, except kept: [Step]) -> Any {
            numbers(in: element, at: []).reduce(element) { result, entry in
                entry.0 == kept || !suspicious(entry.1) ? result : replacing(entry.0, in: result, with: NSNumber(value: 0))
            }
        }

        /// `value` with the value at `path` replaced by `replacement`.
        static func replacing(_ path: [Step], in value: Any, with replacement: Any) -> Any {
            guard let step = path.first else { return replacement }
            switch (step, value) {
            case let (.key(key), object as [String: Any]):
                var copy = object
                if let inner = object[key] { copy[key] = replacing(Array(path.dropFirst()), in: inner, with: replacement) }
                return copy
            case let (.index(i), array as [Any]) where array.indices.contains(i):
                var copy = array
                copy[i] = replacing(Array(path.dropFirst()), in: array[i], with: replacement)
                return copy
            default:
                return value
            }
        }

        /// "pauses[3].durationNanoseconds".
        static func text(_ path: [Step]) -> String {
            path.reduce("") { text, step in
                switch step {
                case let .key(key): return text + (text.isEmpty ? "" : ".") + key
                case let .index(i): return text + "[\(i)]"
                }
            }
        }
    }
}
