//! The check behind the `endpoint` fuzz target: how the bridge finds an engine
//! (`statscope_bridge::endpoint`, `bridge/src/endpoint.rs`) from a `DOCKER_HOST` / `--docker` URL,
//! a docker context's `meta.json` and `config.json`, against the docker CLI's own reading of the
//! same text. Shared by the fuzz target (`fuzz/fuzz_targets/endpoint.rs`) and the standing test
//! `bridge/tests/fuzz_checks.rs`, which includes this file with `#[path]`.
//!
//! **The reference.** `scripts/record-endpoint-goldens.py` ran the real docker CLI (28.2.2) on
//! generated URLs, context files and config files and recorded what it made of each
//! (`tests/fixtures/docker-cli/`). For the files, the harness also has its own model of the CLI's
//! reading ([`go_meta`], [`go_config`]: Go's `encoding/json` as the CLI uses it — a key names a
//! field whatever its case, the last one given counts, `null` changes nothing, a value of the wrong
//! type is an error, and the CLI's own checks of `Metadata` and the other endpoints); the standing
//! test checks that model against every golden, and the fuzz target then holds statscope to the
//! model on any file. For URLs the goldens are the reference (there is no model of Go's URL
//! parser here).
//!
//! Input of the fuzz target: up to five parts separated by NUL bytes, `URL\0NAME\0META\0CONFIG\0FLAGS`
//! (read lossily): the URL (given as `--docker URL`, as `DOCKER_HOST` and to `Endpoint::parse`), a
//! context's name and its `meta.json` (resolved as `--context NAME` and as `DOCKER_CONTEXT`),
//! `config.json` (whose `currentContext` the bridge follows when nothing else names an engine), and
//! flags: the first byte's bits 0–2 put `ca.pem`, `cert.pem`, `key.pem` in the context's TLS
//! folder, bit 3 sets `DOCKER_TLS_VERIFY` for the URL. The files live in a scratch home of this
//! process and thread (`/dev/shm/statscope-fuzz-endpoint-<pid>-<thread>`, or under `$TMPDIR`),
//! rewritten for each input.
//!
//! What must hold, besides "no panic":
//!
//! - **URLs**: where the goldens hold the URL, statscope agrees with the CLI (below); a URL
//!   `Endpoint::parse` accepts prints as a URL that parses to the same endpoint, a
//!   TCP address has a host and a port from 1 to 65535, a socket path is absolute; a refusal names
//!   the URL as given; `--docker URL` and `DOCKER_HOST=URL` reach the endpoint `Endpoint::parse`
//!   says, or fail with its error. Against the CLI ([`check_url_against_cli`]): what statscope
//!   takes, the CLI takes, with the same host and port (or socket); what the CLI refuses, statscope
//!   refuses, but for the two extensions statscope documents (`http://`, and `tcp://[v6]` without a
//!   port); what statscope refuses and the CLI takes is one of the refusals statscope documents
//!   (another scheme, a relative socket, a path, query, fragment or user after the address, a port
//!   outside 1–65535, a `%` escape in the host).
//! - **Context files** ([`check_context`]): the engine statscope resolves is the CLI's reading of
//!   the file: its docker `Host` (used as stored; a `tcp://` host without a port is HTTP's 80, or
//!   443 over TLS), refused with the CLI's reasons (a file the CLI cannot read; no docker endpoint)
//!   and statscope's documented ones (`SkipTLSVerify`; a `Name` that is not the context's; a host
//!   statscope's URL rules refuse; TLS files that are incomplete or on a socket), and, where the
//!   CLI reads a file only by repairing it (bytes that are not UTF-8, a lone surrogate escape,
//!   nesting deeper than 128), refused saying the file cannot be read. `--context NAME` and
//!   `DOCKER_CONTEXT=NAME` agree.
//! - **`config.json`** ([`check_config`]): the context the bridge follows is the CLI's
//!   `currentContext`, or the default engine with a warning where the CLI warns (the file is read
//!   as the CLI reads it: its first JSON value, whatever follows); the same repairs as above may be
//!   refused with a warning instead.
//! - Every error and warning has a message, bounded by the input's size.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use statscope_bridge::endpoint::{
    context_digest, resolve, Endpoint, EndpointError, Engines, ResolveError,
};

// ---------------------------------------------------------------------------------------------
// Go's encoding/json, as far as the docker CLI's reading of its files goes: a parser that keeps an
// object's keys in document order (duplicates included) and reads strings as Go does.

/// A JSON value as Go's decoder sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum GoJson {
    Null,
    Bool(bool),
    /// A number's text (Go converts it only where a type asks).
    Number(String),
    /// The text Go reads: invalid UTF-8 and lone surrogate escapes become U+FFFD.
    String(String),
    Array(Vec<GoJson>),
    /// Keys in document order, every one of them.
    Object(Vec<(String, GoJson)>),
}

impl GoJson {
    fn kind(&self) -> &'static str {
        match self {
            GoJson::Null => "null",
            GoJson::Bool(_) => "bool",
            GoJson::Number(_) => "number",
            GoJson::String(_) => "string",
            GoJson::Array(_) => "array",
            GoJson::Object(_) => "object",
        }
    }
}

/// Go's `maxNestingDepth`.
const GO_MAX_DEPTH: usize = 10_000;

struct GoParser<'a> {
    b: &'a [u8],
    at: usize,
}

impl GoParser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.at))
    }

    fn value(&mut self, depth: usize) -> Result<GoJson, String> {
        if depth > GO_MAX_DEPTH {
            return self.err("exceeded max depth");
        }
        self.ws();
        match self.b.get(self.at) {
            None => self.err("unexpected end of JSON input"),
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.b.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(GoJson::Object(entries));
                }
                loop {
                    self.ws();
                    if self.b.get(self.at) != Some(&b'"') {
                        return self.err("looking for beginning of object key string");
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.b.get(self.at) != Some(&b':') {
                        return self.err("after object key");
                    }
                    self.at += 1;
                    let v = self.value(depth + 1)?;
                    entries.push((key, v));
                    self.ws();
                    match self.b.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(GoJson::Object(entries));
                        }
                        _ => return self.err("after object key:value pair"),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(GoJson::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(GoJson::Array(items));
                        }
                        _ => return self.err("after array element"),
                    }
                }
            }
            Some(b'"') => self.string().map(GoJson::String),
            Some(b't') => self.literal(b"true", GoJson::Bool(true)),
            Some(b'f') => self.literal(b"false", GoJson::Bool(false)),
            Some(b'n') => self.literal(b"null", GoJson::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.err("looking for beginning of value"),
        }
    }

    fn literal(&mut self, word: &[u8], v: GoJson) -> Result<GoJson, String> {
        if self.b[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(v)
        } else {
            self.err("in literal")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.b.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<GoJson, String> {
        let start = self.at;
        if self.b[self.at] == b'-' {
            self.at += 1;
        }
        match self.b.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("in numeric literal"),
        }
        if self.b.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return self.err("after decimal point in numeric literal");
            }
        }
        if matches!(self.b.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.b.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return self.err("in exponent of numeric literal");
            }
        }
        Ok(GoJson::Number(
            String::from_utf8_lossy(&self.b[start..self.at]).into_owned(),
        ))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .b
            .get(self.at..self.at + 4)
            .ok_or("in \\u hexadecimal")?;
        let text = std::str::from_utf8(digits).map_err(|_| "in \\u hexadecimal")?;
        let v = u32::from_str_radix(text, 16).map_err(|_| "in \\u hexadecimal")?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.err("in \\u hexadecimal character escape");
        }
        self.at += 4;
        Ok(v)
    }

    /// A string, unquoted as Go does.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.b.get(self.at) else {
                return self.err("unexpected end of JSON input");
            };
            match c {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                0..=0x1f => return self.err("in string literal"),
                b'\\' => {
                    self.at += 1;
                    let Some(&e) = self.b.get(self.at) else {
                        return self.err("unexpected end of JSON input");
                    };
                    self.at += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xd800..0xdc00).contains(&hi)
                                && self.b[self.at..].starts_with(b"\\u")
                            {
                                let save = self.at;
                                self.at += 2;
                                let lo = self.hex4()?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                                    out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                                    continue;
                                }
                                self.at = save;
                            }
                            out.push(char::from_u32(hi).unwrap_or('\u{fffd}'));
                        }
                        _ => return self.err("in string escape code"),
                    }
                }
                _ => {
                    // UTF-8 as is; each byte of an invalid sequence is one U+FFFD (Go's
                    // utf8.DecodeRune reads one byte of it at a time).
                    let rest = &self.b[self.at..];
                    let end = rest
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                        .unwrap_or(rest.len());
                    let mut chunk = &rest[..end];
                    while !chunk.is_empty() {
                        match std::str::from_utf8(chunk) {
                            Ok(s) => {
                                out.push_str(s);
                                break;
                            }
                            Err(e) => {
                                let good = e.valid_up_to();
                                out.push_str(std::str::from_utf8(&chunk[..good]).unwrap_or(""));
                                let bad = e.error_len().unwrap_or(chunk.len() - good);
                                out.extend(std::iter::repeat_n('\u{fffd}', bad));
                                chunk = &chunk[good + bad..];
                            }
                        }
                    }
                    self.at += end;
                }
            }
        }
    }
}

/// `json.Unmarshal`'s reading of a whole text: one value, then only whitespace.
pub fn go_parse(bytes: &[u8]) -> Result<GoJson, String> {
    let mut p = GoParser { b: bytes, at: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.at != bytes.len() {
        return p.err("after top-level value");
    }
    Ok(v)
}

/// `json.NewDecoder(r).Decode(&v)`'s reading: the first value, whatever follows; `None` when there is
/// none (only whitespace: `io.EOF`).
pub fn go_decode_first(bytes: &[u8]) -> Result<Option<GoJson>, String> {
    let mut p = GoParser { b: bytes, at: 0 };
    p.ws();
    if p.at == bytes.len() {
        return Ok(None);
    }
    p.value(0).map(Some)
}

/// Does a key name the struct field `field` (ASCII), as Go matches them: case-insensitively, by
/// Unicode simple folding (so `ſ` is `s` and the Kelvin sign `K` is `k`)?
pub fn go_field_eq(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17f}' => 'S',
        '\u{212a}' => 'K',
        c => c.to_ascii_uppercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

/// A Go `any` (map values of `map[string]any`): any JSON, but a number must fit a `float64`.
fn go_any_ok(v: &GoJson) -> Result<(), String> {
    match v {
        GoJson::Number(n) => match n.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(()),
            _ => Err(format!(
                "cannot unmarshal number {n} into Go value of type float64"
            )),
        },
        GoJson::Array(items) => items.iter().try_for_each(go_any_ok),
        GoJson::Object(entries) => entries.iter().try_for_each(|(_, v)| go_any_ok(v)),
        _ => Ok(()),
    }
}

/// A `map[string]any` value: `null` (nil) or an object whose values are `any`; the last of a key
/// given twice counts.
fn go_map(v: &GoJson) -> Result<Option<Vec<(String, GoJson)>>, String> {
    match v {
        GoJson::Null => Ok(None),
        GoJson::Object(entries) => {
            let mut map: Vec<(String, GoJson)> = Vec::new();
            for (k, v) in entries {
                go_any_ok(v)?;
                match map.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => map.push((k.clone(), v.clone())),
                }
            }
            Ok(Some(map))
        }
        other => Err(format!(
            "cannot unmarshal {} into Go value of type map[string]interface {{}}",
            other.kind()
        )),
    }
}

/// Go decoding one struct field of type `string` (`null` changes nothing).
fn go_string(slot: &mut String, v: &GoJson, field: &str) -> Result<(), String> {
    match v {
        GoJson::Null => Ok(()),
        GoJson::String(s) => {
            slot.clone_from(s);
            Ok(())
        }
        other => Err(format!(
            "cannot unmarshal {} into Go struct field {field} of type string",
            other.kind()
        )),
    }
}

/// What the docker CLI reads of a context's `meta.json` (`context inspect` prints it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoMeta {
    /// `Name`.
    pub name: String,
    /// `Endpoints.docker`: absent (`None`), `null` (`Some(None)`), or its `Host` and
    /// `SkipTLSVerify`.
    pub docker: Option<Option<(String, bool)>>,
}

/// The docker CLI's reading of a context's `meta.json` (its context store: `json.Unmarshal` into
/// `{name, metadata: RawMessage, endpoints: map[string]RawMessage}`, then `metadata` as the docker
/// context's `map[string]any` whose `Description` must be a string, the `docker` endpoint as
/// `{Host string; SkipTLSVerify bool}`, any other endpoint as a `map[string]any`).
pub fn go_meta(bytes: &[u8]) -> Result<GoMeta, String> {
    let top = go_parse(bytes)?;
    let entries = match top {
        GoJson::Null => Vec::new(),
        GoJson::Object(entries) => entries,
        other => {
            return Err(format!(
                "cannot unmarshal {} into Go value of type store.untypedContextMetadata",
                other.kind()
            ))
        }
    };
    let mut name = String::new();
    let mut metadata: Option<GoJson> = None;
    let mut endpoints: Option<Vec<(String, GoJson)>> = None;
    let mut first_error: Option<String> = None;
    for (k, v) in &entries {
        let result = if go_field_eq(k, "name") {
            go_string(&mut name, v, "untypedContextMetadata.name")
        } else if go_field_eq(k, "metadata") {
            metadata = Some(v.clone());
            Ok(())
        } else if go_field_eq(k, "endpoints") {
            match v {
                // A null sets a map to nil.
                GoJson::Null => {
                    endpoints = None;
                    Ok(())
                }
                // An object adds to the map that is there.
                GoJson::Object(es) => {
                    let map = endpoints.get_or_insert_with(Vec::new);
                    for (ek, ev) in es {
                        match map.iter_mut().find(|(key, _)| key == ek) {
                            Some(slot) => slot.1 = ev.clone(),
                            None => map.push((ek.clone(), ev.clone())),
                        }
                    }
                    Ok(())
                }
                other => Err(format!(
                    "cannot unmarshal {} into Go struct field .endpoints of type map[string]json.RawMessage",
                    other.kind()
                )),
            }
        } else {
            Ok(())
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if let Some(m) = go_map(metadata.as_ref().unwrap_or(&GoJson::Null))? {
        if let Some((_, d)) = m.iter().find(|(k, _)| k == "Description") {
            if !matches!(d, GoJson::String(_)) {
                return Err(format!(
                    "panic: interface conversion: interface {{}} is {}, not string",
                    d.kind()
                ));
            }
        }
    }
    let mut docker = None;
    for (k, v) in endpoints.unwrap_or_default() {
        if k != "docker" {
            go_map(&v)?;
            continue;
        }
        docker = Some(match v {
            GoJson::Null => None,
            GoJson::Object(fields) => {
                let (mut host, mut skip) = (String::new(), false);
                let mut first_error = None;
                for (fk, fv) in &fields {
                    let r = if go_field_eq(fk, "Host") {
                        go_string(&mut host, fv, "EndpointMeta.Host")
                    } else if go_field_eq(fk, "SkipTLSVerify") {
                        match fv {
                            GoJson::Null => Ok(()),
                            GoJson::Bool(b) => {
                                skip = *b;
                                Ok(())
                            }
                            other => Err(format!(
                                "cannot unmarshal {} into Go struct field EndpointMeta.SkipTLSVerify of type bool",
                                other.kind()
                            )),
                        }
                    } else {
                        Ok(())
                    };
                    if let Err(e) = r {
                        first_error.get_or_insert(e);
                    }
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
                Some((host, skip))
            }
            other => {
                return Err(format!(
                    "cannot unmarshal {} into Go value of type docker.EndpointMeta",
                    other.kind()
                ))
            }
        });
    }
    Ok(GoMeta { name, docker })
}

/// The docker CLI's reading of `config.json`'s `currentContext` (`json.NewDecoder(…).Decode`: the
/// first value, whatever follows): `Ok(None)` when it names none, `Err` when the CLI warns that it
/// cannot read the file and goes on without it. Only `currentContext` is modelled: the CLI also
/// refuses a file for a field of the wrong type that statscope does not read (`auths`…).
pub fn go_config(bytes: &[u8]) -> Result<Option<String>, String> {
    let Some(v) = go_decode_first(bytes)? else {
        return Ok(None);
    };
    let entries = match v {
        GoJson::Null => return Ok(None),
        GoJson::Object(entries) => entries,
        other => {
            return Err(format!(
                "cannot unmarshal {} into Go value of type configfile.ConfigFile",
                other.kind()
            ))
        }
    };
    let mut current = String::new();
    let mut first_error = None;
    for (k, v) in &entries {
        if go_field_eq(k, "currentContext") {
            if let Err(e) = go_string(&mut current, v, "ConfigFile.currentContext") {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(Some(current).filter(|c| !c.is_empty())),
    }
}

/// Would a strict JSON reader (serde_json) refuse this text, where Go's repairs it: bytes that are
/// not UTF-8 or a lone surrogate escape in a string (Go reads U+FFFD), nesting deeper than 128, a
/// number beyond `f64` (Go skips what it does not read)? Statscope may refuse such a file, saying
/// it cannot read it.
pub fn strict_json_refuses(bytes: &[u8], first_value_only: bool) -> bool {
    if first_value_only {
        let mut values =
            serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
        matches!(values.next(), Some(Err(_)))
    } else {
        serde_json::from_slice::<serde_json::Value>(bytes).is_err()
    }
}

// ---------------------------------------------------------------------------------------------
// The goldens (tests/fixtures/docker-cli/, scripts/record-endpoint-goldens.py).

/// What the CLI made of a `DOCKER_HOST` value: the host it would reach, or its error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliHost {
    Host(String),
    Error(String),
}

/// What the CLI made of a context file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliMeta {
    Read(GoMeta),
    Error(String),
}

/// What the CLI made of `config.json`: the context it uses (`default` when none), and whether it
/// warned that it could not read the file (with the warning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliConfig {
    pub context: Option<String>,
    pub warning: Option<String>,
    pub error: Option<String>,
}

fn golden_lines(root: &Path, file: &str) -> Vec<serde_json::Value> {
    let path = root.join("tests/fixtures/docker-cli").join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

fn text_or_hex(v: &serde_json::Value, key: &str) -> Vec<u8> {
    if let Some(t) = v.get(key).and_then(|t| t.as_str()) {
        return t.as_bytes().to_vec();
    }
    let hex = v
        .get(format!("{key}_hex"))
        .and_then(|t| t.as_str())
        .unwrap_or_else(|| panic!("a golden without {key}: {v}"));
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn str_of(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|s| s.as_str()).map(str::to_string)
}

/// `docker-host.jsonl`: (URL, what the CLI made of it).
pub fn url_goldens(root: &Path) -> Vec<(String, CliHost)> {
    golden_lines(root, "docker-host.jsonl")
        .into_iter()
        .map(|v| {
            let url = str_of(&v, "url").expect("url");
            let cli = &v["cli"];
            let cli = match (str_of(cli, "host"), str_of(cli, "error")) {
                (Some(h), _) => CliHost::Host(h),
                (None, Some(e)) => CliHost::Error(e),
                _ => panic!("a golden without host or error: {v}"),
            };
            (url, cli)
        })
        .collect()
}

/// `context-meta.jsonl`: (context name, meta.json's bytes, what the CLI made of it).
pub fn meta_goldens(root: &Path) -> Vec<(String, Vec<u8>, CliMeta)> {
    golden_lines(root, "context-meta.jsonl")
        .into_iter()
        .map(|v| {
            let name = str_of(&v, "name").expect("name");
            let meta = text_or_hex(&v, "meta");
            let cli = &v["cli"];
            let cli = match str_of(cli, "error") {
                Some(e) => CliMeta::Error(e),
                None => CliMeta::Read(GoMeta {
                    name: str_of(cli, "name").expect("name"),
                    docker: cli.get("docker").map(|d| {
                        (!d.is_null()).then(|| {
                            (
                                str_of(d, "host").expect("host"),
                                d["skip"].as_bool().expect("skip"),
                            )
                        })
                    }),
                }),
            };
            (name, meta, cli)
        })
        .collect()
}

/// `config-json.jsonl`: (config.json's bytes, what the CLI made of it).
pub fn config_goldens(root: &Path) -> Vec<(Vec<u8>, CliConfig)> {
    golden_lines(root, "config-json.jsonl")
        .into_iter()
        .map(|v| {
            let config = text_or_hex(&v, "config");
            let cli = &v["cli"];
            let cli = CliConfig {
                context: str_of(cli, "context"),
                warning: str_of(cli, "warning"),
                error: str_of(cli, "error"),
            };
            (config, cli)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The scratch home.

/// This thread's scratch folder (in `/dev/shm` where there is one: on a disk every file written
/// and removed costs milliseconds, and there are thousands).
pub fn scratch_dir() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!(
        "statscope-fuzz-endpoint-{}-{thread}",
        std::process::id()
    ))
}

/// This thread's scratch folder, emptied.
fn scratch() -> PathBuf {
    let dir = scratch_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn env_of(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

/// An error's or warning's text is said, and bounded by what it may quote.
fn check_message(text: &str, input_len: usize) {
    assert!(!text.is_empty(), "an empty message");
    assert!(
        text.len() <= 4 * input_len + 1024,
        "a {}-byte message for {input_len} bytes of input: {}",
        text.len(),
        &text[..text.char_indices().nth(200).map_or(text.len(), |(i, _)| i)]
    );
}

// ---------------------------------------------------------------------------------------------
// URLs.

/// The repository (this file is in `fuzz/src/`; whoever includes it is one folder down).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("a package in the repository")
        .to_path_buf()
}

/// What the CLI made of `url`, if the goldens hold it (read once).
pub fn url_golden(url: &str) -> Option<&'static CliHost> {
    static GOLDENS: std::sync::OnceLock<std::collections::HashMap<String, CliHost>> =
        std::sync::OnceLock::new();
    GOLDENS
        .get_or_init(|| url_goldens(&repository()).into_iter().collect())
        .get(url)
}

/// `Endpoint::parse` on its own, against the CLI when the goldens hold the URL, and `--docker URL`
/// and `DOCKER_HOST=URL` against it.
pub fn check_url(url: &str, tls_verify: bool, home: &Path) {
    if let Some(cli) = url_golden(url) {
        if let Err(e) = check_url_against_cli(url, cli) {
            panic!("{e}");
        }
    }
    let parsed = Endpoint::parse(url);
    match &parsed {
        Ok(e) => {
            let again = Endpoint::parse(&e.to_string());
            assert_eq!(again.as_ref(), Ok(e), "{url:?} → {e} does not parse back");
            match e {
                Endpoint::Unix(path) => assert!(path.is_absolute(), "{url:?}: socket {path:?}"),
                Endpoint::Tcp(addr) => {
                    let host = e.tcp_host().expect("a TCP host");
                    assert!(
                        !host.is_empty() && !host.contains(char::is_whitespace),
                        "{url:?}: host {host:?}"
                    );
                    let port = addr.rsplit_once(':').map(|(_, p)| p).expect("a port");
                    assert!(
                        port.parse::<u16>().is_ok_and(|p| p > 0),
                        "{url:?}: port {port:?}"
                    );
                }
            }
        }
        Err(e) => {
            let text = e.to_string();
            check_message(&text, url.len());
            assert!(
                text.contains(&format!("{url:?}")),
                "the error does not name the URL as given: {text}"
            );
        }
    }
    let config = home.join("empty-config");
    let base = || vec![("DOCKER_CONFIG", config.display().to_string())];
    // `--docker URL` (a URL with `=` may be NAME=URL: not this check's business).
    if !url.contains('=') {
        let r = resolve(&[url.to_string()], &[], &[], &env_of(base()), home);
        match (r, &parsed) {
            (Ok(r), Ok(e)) => match r.engines {
                Engines::Named(specs) => {
                    assert_eq!(specs.len(), 1, "--docker {url:?}: one engine");
                    assert_eq!(&specs[0].endpoint, e, "--docker {url:?}");
                    assert!(specs[0].tls.is_none(), "--docker {url:?}: TLS from nowhere");
                }
                Engines::Default(_) => panic!("--docker {url:?}: the default engine"),
            },
            (Err(ResolveError::Endpoint { error, .. }), Err(e)) => {
                assert_eq!(&error, e, "--docker {url:?}: another error");
            }
            (r, p) => panic!("--docker {url:?} resolves to {r:?}, Endpoint::parse says {p:?}"),
        }
    }
    // `DOCKER_HOST=URL`.
    if !url.is_empty() {
        let mut vars = base();
        vars.push(("DOCKER_HOST", url.to_string()));
        if tls_verify {
            vars.push(("DOCKER_TLS_VERIFY", "1".into()));
            vars.push(("DOCKER_CERT_PATH", home.join("certs").display().to_string()));
        }
        match resolve(&[], &[], &[], &env_of(vars), home) {
            Ok(r) => {
                let Engines::Named(specs) = r.engines else {
                    panic!("DOCKER_HOST={url:?}: the default engine")
                };
                if !tls_verify {
                    assert_eq!(
                        Ok(&specs[0].endpoint),
                        parsed.as_ref(),
                        "DOCKER_HOST={url:?}"
                    );
                }
                for w in &r.warnings {
                    check_message(w, url.len());
                }
            }
            Err(e) => {
                check_message(&e.to_string(), url.len() + 256);
                if !tls_verify {
                    match (&e, &parsed) {
                        (ResolveError::Endpoint { error, .. }, Err(p)) => {
                            assert_eq!(error, p, "DOCKER_HOST={url:?}");
                        }
                        _ => panic!("DOCKER_HOST={url:?}: {e}, Endpoint::parse says {parsed:?}"),
                    }
                }
            }
        }
    }
}

/// A host the CLI printed: `unix://PATH`, or `tcp://HOST:PORT[/PATH]`.
#[derive(Debug)]
enum CliEndpoint {
    Unix(String),
    Tcp {
        host: String,
        port: String,
        path: String,
    },
}

fn cli_endpoint(h: &str) -> Option<CliEndpoint> {
    if let Some(path) = h.strip_prefix("unix://") {
        return Some(CliEndpoint::Unix(path.to_string()));
    }
    let rest = h.strip_prefix("tcp://")?;
    let (addr, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = if let Some(inner) = addr.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        (host, after.strip_prefix(':')?)
    } else {
        addr.rsplit_once(':')?
    };
    Some(CliEndpoint::Tcp {
        host: host.to_string(),
        port: port.to_string(),
        path: path.to_string(),
    })
}

/// statscope's `Endpoint::parse` against the docker CLI's reading of the same `DOCKER_HOST`.
pub fn check_url_against_cli(url: &str, cli: &CliHost) -> Result<(), String> {
    let ours = Endpoint::parse(url);
    let trimmed = url.trim();
    let scheme = trimmed.split_once("://").map(|(s, _)| s);
    let fail = |why: &str| Err(format!("{url:?}: {why} (statscope {ours:?}, CLI {cli:?})"));
    match (&ours, cli) {
        (Ok(e), CliHost::Host(h)) => match (e, cli_endpoint(h)) {
            (Endpoint::Unix(p), Some(CliEndpoint::Unix(path))) if Path::new(&path) == p => Ok(()),
            (Endpoint::Tcp(addr), Some(CliEndpoint::Tcp { host, port, path })) => {
                let ours_port = addr.rsplit_once(':').map(|(_, p)| p.to_string());
                let same_port = port.parse::<u32>().ok().map(|p| p.to_string()) == ours_port;
                if e.tcp_host() == Some(host.as_str()) && same_port && path.is_empty() {
                    Ok(())
                } else {
                    fail("another host, port or path")
                }
            }
            _ => fail("another endpoint"),
        },
        (Err(e), CliHost::Host(h)) => {
            let parts = cli_endpoint(h);
            let allowed = match e {
                // Schemes statscope does not reach (ssh, npipe, fd…).
                EndpointError::Scheme { scheme, .. } => {
                    !matches!(scheme.as_str(), "tcp" | "unix" | "http")
                }
                EndpointError::RelativeSocket { .. } => {
                    h.starts_with("unix://") && !h.starts_with("unix:///")
                }
                // The CLI keeps a path, or drops a query, fragment or user statscope refuses.
                EndpointError::Extra { what, .. } => match *what {
                    "a path" => {
                        matches!(&parts, Some(CliEndpoint::Tcp { path, .. }) if !path.is_empty())
                    }
                    "a query" => trimmed.contains('?'),
                    "a fragment" => trimmed.contains('#'),
                    "a user" => trimmed.contains('@'),
                    _ => false,
                },
                EndpointError::Port { .. } => matches!(&parts,
                    Some(CliEndpoint::Tcp { port, .. }) if !port.parse::<u16>().is_ok_and(|p| p > 0)),
                // `%` escapes (an IPv6 zone's `%25` too).
                EndpointError::Host { .. } => trimmed.contains('%'),
            };
            if allowed {
                Ok(())
            } else {
                fail("statscope refuses what the CLI takes, for no documented reason")
            }
        }
        (Ok(e), CliHost::Error(_)) => {
            // statscope's documented extensions: plain http://, and tcp://[v6] without a port.
            let http = scheme == Some("http");
            let v6_no_port = matches!(e, Endpoint::Tcp(_))
                && trimmed
                    .strip_prefix("tcp://")
                    .or(scheme.is_none().then_some(trimmed))
                    .is_some_and(|r| {
                        let r = r.strip_suffix('/').unwrap_or(r);
                        r.starts_with('[') && r.ends_with(']')
                    });
            if http || v6_no_port {
                Ok(())
            } else {
                fail("statscope takes what the CLI refuses")
            }
        }
        (Err(_), CliHost::Error(_)) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Context files.

/// TLS files a fuzz input puts in the context's folder (flags bits 0–2: ca, cert, key).
fn tls_files(flags: u8) -> [(&'static str, bool); 3] {
    [
        ("ca.pem", flags & 1 != 0),
        ("cert.pem", flags & 2 != 0),
        ("key.pem", flags & 4 != 0),
    ]
}

/// `--context NAME` and `DOCKER_CONTEXT=NAME` with `meta` as the context's file, against what the
/// CLI reads of it (`reference`: the model, or a golden).
pub fn check_context(name: &str, meta: &[u8], flags: u8, reference: &Result<GoMeta, String>) {
    let home = scratch();
    let config = home.join(".docker");
    let digest = context_digest(name);
    write(
        &config.join("contexts/meta").join(&digest).join("meta.json"),
        meta,
    );
    let tls_dir = config.join("contexts/tls").join(&digest).join("docker");
    let tls = tls_files(flags);
    for (file, present) in tls {
        if present {
            write(&tls_dir.join(file), b"not read here");
        }
    }
    let has_tls = tls.iter().any(|(_, p)| *p);
    let env = env_of(vec![("DOCKER_CONFIG", config.display().to_string())]);
    let by_flag = resolve(&[], &[name.to_string()], &[], &env, &home);
    let env2 = env_of(vec![
        ("DOCKER_CONFIG", config.display().to_string()),
        ("DOCKER_CONTEXT", name.to_string()),
    ]);
    let by_env = resolve(&[], &[], &[], &env2, &home);
    let limit = meta.len() + name.len() + 512;
    match (&by_flag, &by_env) {
        (Ok(a), Ok(b)) => {
            let spec_a = match &a.engines {
                Engines::Named(v) => &v[0],
                Engines::Default(d) => d,
            };
            let spec_b = match &b.engines {
                Engines::Named(v) => &v[0],
                Engines::Default(d) => d,
            };
            assert_eq!(
                (&spec_a.endpoint, &spec_a.tls),
                (&spec_b.endpoint, &spec_b.tls),
                "--context and DOCKER_CONTEXT disagree"
            );
        }
        (Err(a), Err(b)) => {
            check_message(&a.to_string(), limit);
            if name.trim().is_empty() {
                assert!(matches!(a, ResolveError::EmptyContext), "{a}");
            } else {
                assert_eq!(
                    std::mem::discriminant(a),
                    std::mem::discriminant(b),
                    "--context ({a}) and DOCKER_CONTEXT ({b}) refuse differently"
                );
            }
        }
        (a, b) if name.trim().is_empty() => {
            // `--context ""` is refused; `DOCKER_CONTEXT=""` is unset: both fine.
            assert!(matches!(a, Err(ResolveError::EmptyContext)), "{a:?} {b:?}");
        }
        (a, b) => panic!("--context gives {a:?}, DOCKER_CONTEXT gives {b:?}"),
    }
    if name.trim().is_empty() || name == "default" {
        return;
    }
    let strict = strict_json_refuses(meta, false);
    let file_error =
        |r: &Result<_, ResolveError>| matches!(r, Err(ResolveError::ContextFile { .. }));
    let show = |r: &Result<_, ResolveError>| match r {
        Ok(r) => format!("{r:?}"),
        Err(e) => e.to_string(),
    };
    match reference {
        Err(why) => assert!(
            file_error(&by_flag),
            "the CLI cannot read this context ({why}), statscope: {}",
            show(&by_flag)
        ),
        // Where the CLI repairs the text, statscope may refuse it.
        Ok(_) if strict && file_error(&by_flag) => {}
        Ok(cli) if cli.name != name => assert!(
            matches!(&by_flag, Err(ResolveError::ContextFile { why, .. }) if why.contains("it is the file of context")),
            "a file of context {:?} used for {name:?}: {}",
            cli.name,
            show(&by_flag)
        ),
        Ok(GoMeta {
            docker: None | Some(None),
            ..
        }) => assert!(
            matches!(by_flag, Err(ResolveError::NoDockerEndpoint { .. })),
            "no docker endpoint, statscope: {}",
            show(&by_flag)
        ),
        Ok(GoMeta {
            docker: Some(Some((_, true))),
            ..
        }) => assert!(
            matches!(by_flag, Err(ResolveError::SkipTlsVerify { .. })),
            "SkipTLSVerify, statscope: {}",
            show(&by_flag)
        ),
        Ok(GoMeta {
            docker: Some(Some((host, false))),
            ..
        }) => {
            check_context_host(host, has_tls, tls, &by_flag, &show(&by_flag));
        }
    }
}

/// The address of a stored `tcp://REST`, by statscope's documented rules for URLs (the same as for
/// `DOCKER_HOST`, which the goldens hold to the CLI's reading), with `default` for no port: a
/// query, fragment, user or path (but one trailing `/`) refused; `[v6]` with nothing or `:PORT`
/// after it; unbracketed, digits after the last `:`, and more than one `:` make the whole an IPv6
/// host; no `%`, brackets or whitespace in a host; no host is `localhost`; a port of digits, 1 to
/// 65535, an empty one the default.
fn stored_tcp(rest: &str, default: u16) -> Result<String, ()> {
    if rest.contains(['?', '#', '@']) {
        return Err(());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(());
    }
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or(())?;
        match after {
            "" => (host, ""),
            _ => (host, after.strip_prefix(':').ok_or(())?),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((_, p)) if !p.bytes().all(|b| b.is_ascii_digit()) => return Err(()),
            Some((h, _)) if h.contains(':') => (rest, ""),
            Some((h, p)) => (h, p),
            None => (rest, ""),
        }
    };
    if host.contains(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '%')) {
        return Err(());
    }
    let host = if host.is_empty() { "localhost" } else { host };
    let port = if port.is_empty() {
        default
    } else if port.bytes().all(|b| b.is_ascii_digit()) {
        port.parse::<u16>().ok().filter(|&p| p > 0).ok_or(())?
    } else {
        return Err(());
    };
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// A context's stored host (the CLI's reading) against the engine statscope resolved for it.
fn check_context_host(
    host: &str,
    has_tls: bool,
    tls: [(&str, bool); 3],
    got: &Result<statscope_bridge::endpoint::Resolved, ResolveError>,
    shown: &str,
) {
    // Used as stored: no host is the CLI's default socket; tcp:// without a port is HTTP's.
    let want: Result<Endpoint, ()> = if host.is_empty() {
        Ok(Endpoint::Unix(PathBuf::from("/var/run/docker.sock")))
    } else {
        match host.split_once("://") {
            Some(("unix", "")) => Ok(Endpoint::Unix(PathBuf::from("/var/run/docker.sock"))),
            Some(("unix", path)) if path.starts_with('/') => {
                Ok(Endpoint::Unix(PathBuf::from(path)))
            }
            Some(("tcp", rest)) => {
                let default = if has_tls { 443 } else { 80 };
                stored_tcp(rest, default).map(Endpoint::Tcp)
            }
            _ => Err(()),
        }
    };
    let bad_folder = !tls[0].1 || tls[1].1 != tls[2].1;
    match (want, got) {
        (Err(()), Err(ResolveError::Endpoint { error, .. })) => {
            assert!(
                error.to_string().contains(&format!("{host:?}")),
                "the refusal names another host: {error}"
            );
        }
        (Err(()), _) => {
            panic!("a stored host statscope's URL rules refuse ({host:?}) was taken: {shown}")
        }
        (Ok(Endpoint::Unix(_)), got) if has_tls => assert!(
            matches!(got, Err(ResolveError::TlsOnUnix { .. })),
            "TLS files for a socket ({host:?}): {shown}"
        ),
        (Ok(Endpoint::Tcp(_)), got) if has_tls && bad_folder => assert!(
            matches!(got, Err(ResolveError::TlsFolder { .. })),
            "an incomplete TLS folder ({host:?}): {shown}"
        ),
        (Ok(want), Ok(r)) => {
            let Engines::Named(specs) = &r.engines else {
                panic!("a context is a named engine: {shown}")
            };
            assert_eq!(specs[0].endpoint, want, "the context's host {host:?}");
            assert_eq!(specs[0].tls.is_some(), has_tls, "TLS for {host:?}: {shown}");
        }
        (Ok(want), _) => panic!("the context's host {host:?} is {want}, statscope: {shown}"),
    }
}

// ---------------------------------------------------------------------------------------------
// config.json.

/// `config.json` (with two contexts beside it, `ctx` and `other`) against what the CLI reads of it.
pub fn check_config(config: &[u8], reference: &Result<Option<String>, String>) {
    let home = scratch();
    let dir = home.join(".docker");
    for (name, host) in [("ctx", "tcp://10.1.1.1:1"), ("other", "tcp://10.2.2.2:2")] {
        let meta = format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#);
        write(
            &dir.join("contexts/meta")
                .join(context_digest(name))
                .join("meta.json"),
            meta.as_bytes(),
        );
    }
    write(&dir.join("config.json"), config);
    let env = env_of(vec![("DOCKER_CONFIG", dir.display().to_string())]);
    let got = resolve(&[], &[], &[], &env, &home);
    let limit = config.len() + 512;
    let (engines, warnings) = match &got {
        Ok(r) => (Ok(&r.engines), &r.warnings[..]),
        Err(e) => {
            check_message(&e.to_string(), limit);
            (Err(e), &[][..])
        }
    };
    warnings.iter().for_each(|w| check_message(w, limit));
    let is_default = matches!(engines, Ok(Engines::Default(_)));
    let context = |name: &str| match engines {
        Ok(Engines::Named(specs)) => specs[0].origin.to_string().contains(&format!("{name:?}")),
        _ => false,
    };
    match reference {
        Err(why) => assert!(
            is_default && !warnings.is_empty(),
            "the CLI cannot read config.json ({why}) and warns; statscope: {got:?}"
        ),
        Ok(_) if strict_json_refuses(config, true) && is_default && !warnings.is_empty() => {}
        Ok(None) => assert!(
            is_default && warnings.is_empty(),
            "no current context: {got:?}"
        ),
        Ok(Some(name)) if name == "default" => {
            assert!(
                is_default && warnings.is_empty(),
                "currentContext default: {got:?}"
            )
        }
        Ok(Some(name)) if name == "ctx" || name == "other" => {
            assert!(context(name), "currentContext {name:?}: {got:?}")
        }
        Ok(Some(name)) => assert!(
            matches!(engines, Err(ResolveError::NoSuchContext { name: n, .. }) if n == name),
            "currentContext {name:?} (no such context): {got:?}"
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The target.

/// Target `endpoint` (see the module docs).
pub fn check_endpoint(data: &[u8]) {
    let parts: Vec<&[u8]> = data.splitn(5, |&b| b == 0).collect();
    let text = |i: usize| {
        parts
            .get(i)
            .map(|p| String::from_utf8_lossy(p).into_owned())
    };
    let flags = parts.get(4).and_then(|f| f.first()).copied().unwrap_or(0);
    let url = text(0).unwrap_or_default();
    check_url(&url, flags & 8 != 0, &scratch());
    if let (Some(name), Some(meta)) = (text(1), parts.get(2)) {
        check_context(&name, meta, flags, &go_meta(meta));
    }
    if let Some(config) = parts.get(3) {
        check_config(config, &go_config(config));
    }
}

/// A check of one input.
pub type Check = fn(&[u8]);

/// The checks of this file.
pub const ALL: &[(&str, Check)] = &[("endpoint", check_endpoint)];
