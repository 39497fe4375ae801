//! A small JSON reader and writer: the model file, the page's column mapping and view
//! query, and the page's results.
//!
//! Written by hand rather than through serde so that the page's scoring engine does not
//! carry serde's generic code (most of its size): a value tree, read with the byte
//! offset of every value so that an error names the line and column, and plain
//! conversions ([`FromJson`]) to the crate's types. The writer ([`Writer`]) gives the
//! bytes `serde_json` gives (compact or pretty), which the tests check.
//!
//! The results keep their serde `Serialize` derives: the command line streams
//! `score --format json` through `serde_json`, and `tests/json.rs` holds this writer to
//! their bytes. The page's scoring engine calls only [`ToJson`], so none of serde is
//! linked into it.
//!
//! Reading follows RFC 8259 strictly, as `serde_json` does: no `NaN`, no comments, no
//! trailing commas, no control characters in strings, numbers that fit an f64, and
//! arrays and objects nested less than [`MAX_DEPTH`] deep (a hostile file cannot exhaust the
//! stack).

use std::collections::BTreeMap;

/// The most values one text may hold. The value tree takes a few tens of bytes per
/// value, so a hostile 16 MB model file of `[0,0,0,...]` would otherwise need hundreds
/// of megabytes (an abort in the page, not an error); a valid model holds well under
/// this (its limits on features, basis columns and aliases keep it to a few hundred
/// thousand values).
pub const MAX_VALUES: usize = 1 << 20;

/// Arrays and objects nested this deep are refused (`serde_json`'s limit too).
pub const MAX_DEPTH: usize = 128;

/// Why a text could not be read, and where (a byte offset into the text).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Byte offset of the offending value or character.
    pub at: usize,
    /// What is wrong, in words.
    pub reason: String,
}

impl JsonError {
    fn new(at: usize, reason: impl Into<String>) -> JsonError {
        JsonError {
            at,
            reason: reason.into(),
        }
    }

    /// The message with its 1-based line and column (in characters) within `text`.
    pub fn describe(&self, text: &str) -> String {
        let (line, column) = line_column(text, self.at);
        format!("{} (line {line}, column {column})", self.reason)
    }
}

/// The 1-based line and column (counted in characters) of byte offset `at` in `text`.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    // `get` rather than indexing, here and below, where the offsets are known to be
    // character boundaries: an index's failure message alone brings core's Unicode
    // printing tables into the page's engine.
    let before = text.get(..at).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let last = before.get(line_start..).unwrap_or("");
    (line, last.chars().count() + 1)
}

/// A JSON value and where it starts in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// Byte offset of the value's first character.
    pub at: usize,
    /// The value.
    pub value: Value<'a>,
}

/// A JSON value; numbers keep their text, so that integers and floats are converted
/// exactly (and checked) where their type is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number as written (already checked against the JSON grammar).
    Number(&'a str),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object's members in order: key, the key's offset, value.
    Object(Vec<(String, usize, Node<'a>)>),
}

/// Reads a whole text as one JSON value (whitespace around it allowed).
pub fn parse(text: &str) -> Result<Node<'_>, JsonError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        i: 0,
        depth: 0,
        values: 0,
    };
    let node = p.value()?;
    p.skip_ws();
    if p.i < p.bytes.len() {
        return Err(JsonError::new(
            p.i,
            format!("unexpected {} after the JSON value", p.shown_here()),
        ));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    depth: usize,
    /// Values read so far, against [`MAX_VALUES`].
    values: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.i) {
            self.i += 1;
        }
    }

    /// The character at the current offset, for a message ("'x'", or "end of text").
    fn shown_here(&self) -> String {
        match self.text.get(self.i..).and_then(|s| s.chars().next()) {
            None => "end of text".into(),
            Some(c) if c.is_control() => format!("character {}", c.escape_default()),
            Some(c) => format!("character '{c}'"),
        }
    }

    fn expected(&self, what: &str) -> JsonError {
        JsonError::new(
            self.i,
            format!("expected {what}, found {}", self.shown_here()),
        )
    }

    fn value(&mut self) -> Result<Node<'a>, JsonError> {
        self.skip_ws();
        let at = self.i;
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(JsonError::new(
                at,
                format!("the text holds more than {MAX_VALUES} values"),
            ));
        }
        let value = match self.bytes.get(at) {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            _ => return Err(self.expected("a value")),
        };
        Ok(Node { at, value })
    }

    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<Value<'a>, JsonError>,
    ) -> Result<Value<'a>, JsonError> {
        if self.depth + 1 >= MAX_DEPTH {
            return Err(JsonError::new(
                self.i,
                format!("arrays and objects nested {MAX_DEPTH} deep or more"),
            ));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, JsonError> {
        if self.bytes[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.expected("a value"))
        }
    }

    /// Whether the next byte (after whitespace) is `b`; consumes it if so.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn array(&mut self) -> Result<Value<'a>, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.expected("',' or ']'"));
            }
        }
    }

    fn object(&mut self) -> Result<Value<'a>, JsonError> {
        self.i += 1;
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            let key_at = self.i;
            if self.bytes.get(key_at) != Some(&b'"') {
                return Err(self.expected("a quoted key"));
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.expected("':'"));
            }
            let value = self.value()?;
            members.push((key, key_at, value));
            if self.eat(b'}') {
                return Ok(Value::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.expected("',' or '}'"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.bytes.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = self.i;
        if self.bytes[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        let int_digits = self.digits();
        if int_digits == 0 {
            return Err(self.expected("a digit"));
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            return Err(JsonError::new(
                int_start,
                "a number starts with a leading zero",
            ));
        }
        if self.bytes.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.expected("a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        Ok(self.text.get(start..self.i).unwrap_or(""))
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self
                .bytes
                .get(self.i)
                .and_then(|&b| (b as char).to_digit(16))
                .ok_or_else(|| self.expected("a hex digit in a \\u escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once (the text is valid UTF-8, and
            // the bytes stopped at are ASCII, so the run ends on a character boundary).
            let run = self.i;
            while let Some(&b) = self.bytes.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(self.text.get(run..self.i).unwrap_or(""));
            match self.bytes.get(self.i) {
                None => return Err(JsonError::new(open, "a string is not closed")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let escape = self.i;
                    let c = match self.bytes.get(self.i) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            out.push(self.unicode_escape(escape)?);
                            continue;
                        }
                        _ => {
                            return Err(
                                self.expected("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)")
                            )
                        }
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(JsonError::new(
                        self.i,
                        format!(
                            "{} inside a string (control characters must be escaped)",
                            self.shown_here()
                        ),
                    ))
                }
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    fn unicode_escape(&mut self, escape: usize) -> Result<char, JsonError> {
        let lone = || JsonError::new(escape - 1, "a \\u escape holds a lone surrogate");
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if !self.bytes[self.i..].starts_with(b"\\u") {
                    return Err(lone());
                }
                self.i += 2;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(lone());
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(lone()),
            _ => first,
        };
        char::from_u32(code).ok_or_else(lone)
    }
}

impl<'a> Node<'a> {
    /// What the value is, for a message: "a string \"-1\"", "the number 2.5", "null".
    pub fn shown(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("{b}"),
            Value::Number(n) => format!("the number {}", crate::error::show_value(n)),
            Value::String(s) => format!("the string \"{}\"", crate::error::show_value(s)),
            Value::Array(_) => "an array".into(),
            Value::Object(_) => "an object".into(),
        }
    }

    /// An error at this value: `expected` names what was wanted.
    pub fn wrong(&self, expected: &str) -> JsonError {
        JsonError::new(
            self.at,
            format!("expected {expected}, found {}", self.shown()),
        )
    }

    /// The value as an object whose keys are all in `known` (each at most once).
    pub fn object(&self, known: &[&str]) -> Result<Object<'_, 'a>, JsonError> {
        self.checked_object(Some(known))
    }

    /// The value as an object whose keys each appear at most once; keys a reader does
    /// not ask for are ignored.
    pub fn open_object(&self) -> Result<Object<'_, 'a>, JsonError> {
        self.checked_object(None)
    }

    fn checked_object(&self, known: Option<&[&str]>) -> Result<Object<'_, 'a>, JsonError> {
        let object = self.any_object()?;
        for (n, (key, at, _)) in object.members.iter().enumerate() {
            if let Some(known) = known.filter(|k| !k.contains(&key.as_str())) {
                return Err(JsonError::new(
                    *at,
                    format!(
                        "unknown field \"{}\", expected one of: {}",
                        crate::error::show_value(key),
                        known.join(", ")
                    ),
                ));
            }
            if object.members[..n].iter().any(|(k, _, _)| k == key) {
                return Err(JsonError::new(
                    *at,
                    format!("duplicate field \"{}\"", crate::error::show_value(key)),
                ));
            }
        }
        Ok(object)
    }

    /// The value as an object with any keys (the last of a repeated key counts).
    pub fn any_object(&self) -> Result<Object<'_, 'a>, JsonError> {
        match &self.value {
            Value::Object(members) => Ok(Object {
                at: self.at,
                members,
            }),
            _ => Err(self.wrong("an object")),
        }
    }

    /// The value as an array.
    pub fn array(&self) -> Result<&[Node<'a>], JsonError> {
        match &self.value {
            Value::Array(items) => Ok(items),
            _ => Err(self.wrong("an array")),
        }
    }

    /// The value as a string.
    pub fn str(&self) -> Result<&str, JsonError> {
        match &self.value {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong("a string")),
        }
    }

    /// The value as one of `names` (an enum's variants, written as strings); the index.
    pub fn variant(&self, names: &[&str]) -> Result<usize, JsonError> {
        let s = self.str()?;
        names.iter().position(|n| *n == s).ok_or_else(|| {
            JsonError::new(
                self.at,
                format!(
                    "unknown variant \"{}\", expected one of: {}",
                    crate::error::show_value(s),
                    names.join(", ")
                ),
            )
        })
    }

    /// The value as a whole number from 0 to `max`; `what` names the type in messages.
    pub fn uint(&self, max: u64, what: &str) -> Result<u64, JsonError> {
        let Value::Number(text) = self.value else {
            return Err(self.wrong(what));
        };
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.wrong(what));
        }
        // Digits only, so the one failure is overflow.
        let n = digits.parse::<u64>().ok().filter(|&n| n <= max);
        match n {
            // `-0` too is refused, as `serde_json` refuses it (it reads it as a float).
            Some(n) if !negative => Ok(n),
            _ => Err(JsonError::new(
                self.at,
                format!(
                    "the number {} does not fit: expected {what}",
                    show_number(text)
                ),
            )),
        }
    }
}

fn show_number(text: &str) -> String {
    crate::error::show_value(text)
}

/// An object's members, read by name.
#[derive(Debug, Clone, Copy)]
pub struct Object<'n, 'a> {
    at: usize,
    members: &'n [(String, usize, Node<'a>)],
}

impl<'n, 'a> Object<'n, 'a> {
    /// The value of `key` (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<&'n Node<'a>> {
        self.members
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| v)
    }

    /// The members in order.
    pub fn members(&self) -> impl Iterator<Item = (&'n str, &'n Node<'a>)> {
        self.members.iter().map(|(k, _, v)| (k.as_str(), v))
    }

    /// A field that must be there.
    pub fn req<T: FromJson>(&self, key: &str) -> Result<T, JsonError> {
        match self.get(key) {
            Some(node) => T::from_json(node),
            None => Err(JsonError::new(
                self.at,
                format!("missing field \"{key}\" in the object starting here"),
            )),
        }
    }

    /// A field that may be left out (then its default).
    pub fn opt<T: FromJson + Default>(&self, key: &str) -> Result<T, JsonError> {
        self.get(key).map_or_else(|| Ok(T::default()), T::from_json)
    }
}

/// A type read from a JSON value.
pub trait FromJson: Sized {
    /// Converts `node`, or says why it cannot be.
    fn from_json(node: &Node) -> Result<Self, JsonError>;
}

impl FromJson for f64 {
    fn from_json(node: &Node) -> Result<f64, JsonError> {
        let Value::Number(text) = node.value else {
            return Err(node.wrong("a number"));
        };
        // The JSON grammar is a subset of Rust's float syntax, and `str::parse` rounds
        // correctly: the nearest f64 to the decimal written, as `serde_json` with
        // `float_roundtrip` reads it.
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(JsonError::new(
                node.at,
                format!("the number {} is out of range", show_number(text)),
            )),
        }
    }
}

impl FromJson for u32 {
    fn from_json(node: &Node) -> Result<u32, JsonError> {
        // The bound makes the conversion exact.
        Ok(node.uint(u32::MAX.into(), "a whole number (32 bits)")? as u32)
    }
}

impl FromJson for u64 {
    fn from_json(node: &Node) -> Result<u64, JsonError> {
        node.uint(u64::MAX, "a whole number (64 bits)")
    }
}

impl FromJson for usize {
    fn from_json(node: &Node) -> Result<usize, JsonError> {
        let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        let n = node.uint(max, "a whole number")?;
        usize::try_from(n).map_err(|_| node.wrong("a smaller whole number"))
    }
}

impl FromJson for bool {
    fn from_json(node: &Node) -> Result<bool, JsonError> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(node.wrong("true or false")),
        }
    }
}

impl FromJson for String {
    fn from_json(node: &Node) -> Result<String, JsonError> {
        node.str().map(str::to_string)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(node: &Node) -> Result<Vec<T>, JsonError> {
        node.array()?.iter().map(T::from_json).collect()
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(node: &Node) -> Result<Option<T>, JsonError> {
        match node.value {
            Value::Null => Ok(None),
            _ => T::from_json(node).map(Some),
        }
    }
}

impl FromJson for [f64; 2] {
    fn from_json(node: &Node) -> Result<[f64; 2], JsonError> {
        match node.array()? {
            [a, b] => Ok([f64::from_json(a)?, f64::from_json(b)?]),
            items => Err(JsonError::new(
                node.at,
                format!(
                    "expected an array of 2 numbers, found {} items",
                    items.len()
                ),
            )),
        }
    }
}

impl FromJson for BTreeMap<String, String> {
    fn from_json(node: &Node) -> Result<BTreeMap<String, String>, JsonError> {
        node.any_object()?
            .members()
            .map(|(k, v)| Ok((k.to_string(), String::from_json(v)?)))
            .collect()
    }
}

/// Reads `text` as a `T`; the error message names the line and column.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, String> {
    parse(text)
        .and_then(|node| T::from_json(&node))
        .map_err(|e| e.describe(text))
}

/// Writes JSON as `serde_json` does: compact (`to_string`) or pretty
/// (`to_string_pretty`, two spaces), floats in their shortest round-trip form (`null`
/// when not finite), strings escaped the same way.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    pretty: bool,
    depth: usize,
    /// Whether the innermost open array or object has no member yet.
    empty: bool,
    /// Whether a key was just written (its value needs no separator).
    after_key: bool,
}

impl Writer {
    /// A compact writer.
    pub fn compact() -> Writer {
        Writer::default()
    }

    /// A pretty writer (two-space indent).
    pub fn pretty() -> Writer {
        Writer {
            pretty: true,
            ..Writer::default()
        }
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.out
    }

    /// The text written since the last call, taken out: a long text can be written out
    /// as it grows, the writer carrying on where it was.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// Bytes written and not yet taken.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// A writer, into `buf` (cleared), of items of this writer's open array written
    /// apart (on other threads, from one such writer made beforehand) and spliced into
    /// it in order: each item starts with its separator, so the first item of the array
    /// drops its leading comma. After splicing, call [`Writer::spliced`].
    pub fn items_in(&self, mut buf: String) -> Writer {
        buf.clear();
        Writer {
            out: buf,
            pretty: self.pretty,
            depth: self.depth,
            empty: false,
            after_key: false,
        }
    }

    /// Items written apart were spliced into the open array: it is no longer empty.
    pub fn spliced(&mut self) {
        self.empty = false;
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Before an array item or an object key: the comma and, pretty, the new line.
    fn item(&mut self) {
        if self.depth > 0 {
            if !self.empty {
                self.out.push(',');
            }
            if self.pretty {
                self.newline();
            }
        }
        self.empty = false;
    }

    /// Before any value: the separator, unless the value follows its key.
    fn value_start(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else {
            self.item();
        }
    }

    fn open(&mut self, c: char) {
        self.value_start();
        self.out.push(c);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, c: char) {
        self.depth = self.depth.saturating_sub(1);
        if self.pretty && !self.empty {
            self.newline();
        }
        self.out.push(c);
        self.empty = false;
    }

    /// Starts an object (then [`Writer::field`]s, then [`Writer::end_object`]).
    pub fn begin_object(&mut self) {
        self.open('{');
    }

    /// Ends an object.
    pub fn end_object(&mut self) {
        self.close('}');
    }

    /// Starts an array (then its items, then [`Writer::end_array`]).
    pub fn begin_array(&mut self) {
        self.open('[');
    }

    /// Ends an array.
    pub fn end_array(&mut self) {
        self.close(']');
    }

    /// Writes a key of the open object; its value is written next.
    pub fn key(&mut self, key: &str) {
        self.item();
        self.push_str_literal(key);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    /// Writes `key: value` in the open object.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        value.write_json(self);
    }

    fn push_str_literal(&mut self, s: &str) {
        self.out.push('"');
        // Most strings need no escape: one pass without an early exit (which the compiler
        // vectorises) finds out, and the string is copied whole.
        let plain = s
            .bytes()
            .fold(true, |ok, b| ok & (b >= 0x20 && b != b'"' && b != b'\\'));
        if plain {
            self.out.push_str(s);
            self.out.push('"');
            return;
        }
        let mut run = 0;
        for (i, b) in s.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            self.out.push_str(s.get(run..i).unwrap_or(""));
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.out.push_str("\\u00");
                self.out.push(HEX[usize::from(b >> 4)] as char);
                self.out.push(HEX[usize::from(b & 15)] as char);
            } else {
                self.out.push_str(escape);
            }
            run = i + 1;
        }
        self.out.push_str(s.get(run..).unwrap_or(""));
        self.out.push('"');
    }

    /// `null`.
    pub fn null(&mut self) {
        self.value_start();
        self.out.push_str("null");
    }

    /// A string.
    pub fn string(&mut self, s: &str) {
        self.value_start();
        self.push_str_literal(s);
    }

    /// A float: shortest round-trip digits, `null` when not finite.
    pub fn f64(&mut self, x: f64) {
        self.value_start();
        if x.is_finite() {
            self.out.push_str(zmij::Buffer::new().format_finite(x));
        } else {
            self.out.push_str("null");
        }
    }

    /// A whole number.
    pub fn uint(&mut self, n: u64) {
        self.value_start();
        use std::fmt::Write;
        // Writing to a `String` cannot fail.
        let _ = write!(self.out, "{n}");
    }

    /// `true` or `false`.
    pub fn bool(&mut self, b: bool) {
        self.value_start();
        self.out.push_str(if b { "true" } else { "false" });
    }
}

/// A type written as JSON.
pub trait ToJson {
    /// Writes the value.
    fn write_json(&self, w: &mut Writer);

    /// The value as compact JSON, as `serde_json::to_string` writes it.
    fn to_json_string(&self) -> String {
        let mut w = Writer::compact();
        self.write_json(&mut w);
        w.finish()
    }
}

impl ToJson for f64 {
    fn write_json(&self, w: &mut Writer) {
        w.f64(*self);
    }
}

impl ToJson for u32 {
    fn write_json(&self, w: &mut Writer) {
        w.uint(u64::from(*self));
    }
}

impl ToJson for u64 {
    fn write_json(&self, w: &mut Writer) {
        w.uint(*self);
    }
}

impl ToJson for usize {
    fn write_json(&self, w: &mut Writer) {
        w.uint(*self as u64);
    }
}

impl ToJson for bool {
    fn write_json(&self, w: &mut Writer) {
        w.bool(*self);
    }
}

impl ToJson for str {
    fn write_json(&self, w: &mut Writer) {
        w.string(self);
    }
}

impl ToJson for String {
    fn write_json(&self, w: &mut Writer) {
        w.string(self);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, w: &mut Writer) {
        (**self).write_json(w);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, w: &mut Writer) {
        match self {
            Some(v) => v.write_json(w),
            None => w.null(),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, w: &mut Writer) {
        w.begin_array();
        for v in self {
            v.write_json(w);
        }
        w.end_array();
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, w: &mut Writer) {
        self.as_slice().write_json(w);
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn write_json(&self, w: &mut Writer) {
        self.as_slice().write_json(w);
    }
}

/// Implements [`ToJson`] for a struct as an object of the fields named, in that order
/// (the order of the struct's declaration, as serde's derive writes them).
macro_rules! json_object {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl $crate::json::ToJson for $ty {
            fn write_json(&self, w: &mut $crate::json::Writer) {
                w.begin_object();
                $(w.field(stringify!($field), &self.$field);)*
                w.end_object();
            }
        }
    };
}
pub(crate) use json_object;

impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, w: &mut Writer) {
        w.begin_array();
        self.0.write_json(w);
        self.1.write_json(w);
        w.end_array();
    }
}
