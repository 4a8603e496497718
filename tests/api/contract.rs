//! The documentation contract: `openapi.yaml`, `docs/result-codes.md` and
//! `docs/configuration.md` must describe exactly what the code has — every result code, every
//! route with the methods it answers, every `action`, every configuration key — and list
//! nothing that does not exist. The files are read as text; no YAML or TOML parser is needed.
use dpopd::api::action::Action;
use dpopd::api::result_code::ResultCode;
use std::collections::BTreeSet;

const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
const RESULT_CODES_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/result-codes.md");
const CONFIGURATION_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
const DEFAULTS_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/defaults.toml");
const CONFIG_RS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config.rs");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn real_codes() -> BTreeSet<&'static str> {
    ResultCode::ALL.iter().map(|rc| rc.code()).collect()
}

/// Every code-looking token in `text`: `A` followed by six or more digits, not preceded by a
/// letter, digit or `_` (so base64url text such as a thumbprint is not mistaken for a code).
/// All the digits are taken, so `A0520011` is reported as itself, not as `A052001`.
fn code_tokens(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'A' {
            continue;
        }
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if digits >= 6 {
            found.insert(text[i..i + 1 + digits].to_owned());
        }
    }
    found
}

/// The keys of the top-level `paths:` mapping: lines `  /something:`.
fn openapi_paths(yaml: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && !line.trim().is_empty() {
            inside = line.trim_end() == "paths:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(key) = line.strip_prefix("  /") {
            let key = key.trim_end();
            let key = key
                .strip_suffix(':')
                .unwrap_or_else(|| panic!("path line without colon: {line:?}"));
            paths.push(format!("/{key}"));
        }
    }
    paths
}

/// The HTTP methods listed under one path key (lines `    get:` etc. below `  /path:`).
fn openapi_methods(yaml: &str, path: &str) -> BTreeSet<String> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let header = format!("  {path}:");
    let mut lines = yaml.lines().skip_while(|l| l.trim_end() != header);
    assert!(
        lines.next().is_some(),
        "openapi.yaml has no path key {path}"
    );
    let mut methods = BTreeSet::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent <= 2 {
            break;
        }
        if indent == 4 {
            // `get:`, or `get: &anchor` / `post: *anchor` for operations shared by methods.
            let name = line.trim().split(':').next().unwrap_or_default();
            if METHODS.contains(&name) {
                methods.insert(name.to_uppercase());
            }
        }
    }
    methods
}

/// The values of `components.schemas.Action.enum`.
fn openapi_action_enum(yaml: &str) -> Vec<String> {
    let mut lines = yaml.lines().skip_while(|l| l.trim_end() != "    Action:");
    assert!(lines.next().is_some(), "openapi.yaml has no Action schema");
    let mut lines = lines.take_while(|l| l.trim().is_empty() || l.starts_with("      "));
    assert!(
        lines.any(|l| l.trim() == "enum:"),
        "the Action schema has no multi-line enum"
    );
    lines
        .map(str::trim)
        .take_while(|l| l.starts_with("- "))
        .map(|l| {
            l.trim_start_matches("- ")
                .trim_matches(|c| c == '\'' || c == '"')
                .to_owned()
        })
        .collect()
}

/// Every key of `config/defaults.toml`, dotted (`server.port`; `callers` at the top level).
fn default_config_keys() -> Vec<String> {
    let mut keys = Vec::new();
    let mut section = String::new();
    for line in read(DEFAULTS_TOML).lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
        } else if let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            keys.push(if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            });
        }
    }
    keys
}

/// The `pub` fields of `pub struct name` in src/config.rs.
fn struct_fields(source: &str, name: &str) -> Vec<String> {
    let header = format!("pub struct {name} {{");
    let mut lines = source.lines().skip_while(|l| l.trim() != header);
    assert!(lines.next().is_some(), "src/config.rs has no `{header}`");
    lines
        .take_while(|l| l.trim() != "}")
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub ")?
                .split_once(':')
                .map(|(f, _)| f.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_result_code_is_documented_in_openapi_and_docs() {
    for (path, text) in [
        (OPENAPI, read(OPENAPI)),
        (RESULT_CODES_DOC, read(RESULT_CODES_DOC)),
    ] {
        let documented = code_tokens(&text);
        let missing: Vec<_> = real_codes()
            .into_iter()
            .filter(|c| !documented.contains(*c))
            .collect();
        assert!(missing.is_empty(), "{path} does not list {missing:?}");
    }
}

#[test]
fn docs_and_openapi_list_no_code_that_does_not_exist() {
    let real = real_codes();
    for (path, text) in [
        (OPENAPI, read(OPENAPI)),
        (RESULT_CODES_DOC, read(RESULT_CODES_DOC)),
    ] {
        let stale: Vec<_> = code_tokens(&text)
            .into_iter()
            .filter(|t| !real.contains(t.as_str()))
            .collect();
        assert!(
            stale.is_empty(),
            "{path} lists codes that do not exist: {stale:?}"
        );
    }
}

#[test]
fn code_scanner_finds_codes_and_skips_base64() {
    let found = code_tokens("`A052001` [A254307] xA123456 A12345 (A0520011) 7A999999");
    let expected: BTreeSet<String> = ["A052001", "A254307", "A0520011"].map(String::from).into();
    assert_eq!(found, expected);
}

#[test]
fn every_result_code_has_one_row_in_the_result_code_table() {
    let doc = read(RESULT_CODES_DOC);
    for rc in ResultCode::ALL {
        let rows: Vec<_> = doc
            .lines()
            .filter(|l| l.starts_with(&format!("| `{}` |", rc.code())))
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "docs/result-codes.md needs exactly one table row for {}",
            rc.code()
        );
        let name = format!("{rc:?}");
        assert!(
            rows[0].contains(&format!("| `{name}` |")),
            "the row of {} does not name {name}",
            rc.code()
        );
    }
}

#[test]
fn openapi_paths_are_exactly_the_served_paths() {
    let yaml = read(OPENAPI);
    let documented: BTreeSet<String> = openapi_paths(&yaml).into_iter().collect();
    let served: BTreeSet<String> = dpopd::api::all_paths().into_iter().collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let not_served: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "openapi.yaml does not describe {undocumented:?}"
    );
    assert!(
        not_served.is_empty(),
        "openapi.yaml describes paths dpopd does not serve: {not_served:?}"
    );
}

/// Starts the real application (development settings, port 0) and checks that each path
/// answers exactly the methods openapi.yaml lists for it: a listed method is never answered
/// 404/405, an unlisted one always is. `{serviceId}` is development mode's service id.
#[tokio::test]
async fn openapi_methods_are_exactly_the_served_methods() {
    let mut settings = dpopd::config::Settings::development();
    settings.server.port = 0;
    settings.server.workers = 1;
    dpopd::development::add_demo_credentials(&mut settings);
    let app = dpopd::startup::Application::build(settings)
        .await
        .expect("application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let yaml = read(OPENAPI);
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    for path in openapi_paths(&yaml) {
        let listed = openapi_methods(&yaml, &path);
        assert!(
            !listed.is_empty(),
            "openapi.yaml lists no method for {path}"
        );
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let called = path.replace("{serviceId}", dpopd::development::DEMO_SERVICE_ID);
            let request = http.request(method.parse().unwrap(), format!("{base}{called}"));
            let status = request
                .body("{}")
                .send()
                .await
                .expect("request is answered")
                .status()
                .as_u16();
            let served = status != 404 && status != 405;
            if served != listed.contains(method) {
                problems.push(format!(
                    "{method} {path}: answered {status}, openapi.yaml lists {listed:?}"
                ));
            }
        }
    }
    server.abort();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_action_is_in_the_openapi_action_enum() {
    // A match without a wildcard: adding a variant to `Action` stops this from compiling until
    // the variant is added here, to `Action::ALL` and to openapi.yaml.
    fn wire_name(action: Action) -> &'static str {
        match action {
            Action::Ok => "OK",
            Action::BadRequest => "BAD_REQUEST",
            Action::InvalidClient => "INVALID_CLIENT",
            Action::Unauthorized => "UNAUTHORIZED",
            Action::Forbidden => "FORBIDDEN",
            Action::InternalServerError => "INTERNAL_SERVER_ERROR",
            Action::Interaction => "INTERACTION",
            Action::NoInteraction => "NO_INTERACTION",
            Action::Location => "LOCATION",
            Action::Created => "CREATED",
        }
    }
    let names: Vec<&str> = Action::ALL.iter().map(|a| wire_name(*a)).collect();
    assert_eq!(
        names,
        [
            "OK",
            "BAD_REQUEST",
            "INVALID_CLIENT",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "INTERNAL_SERVER_ERROR",
            "INTERACTION",
            "NO_INTERACTION",
            "LOCATION",
            "CREATED"
        ]
    );
    for action in Action::ALL {
        let serialized = serde_json::to_value(action).expect("Action serializes");
        assert_eq!(
            serialized,
            serde_json::Value::from(wire_name(action)),
            "serde name of {action:?}"
        );
        assert_eq!(
            action.name(),
            wire_name(action),
            "Action::name of {action:?}"
        );
    }
    let documented = openapi_action_enum(&read(OPENAPI));
    assert_eq!(documented, names, "the Action enum of openapi.yaml");
    let doc = read(RESULT_CODES_DOC);
    for action in Action::ALL {
        let row = format!("| `{}` | {} |", wire_name(action), action.http_status());
        assert!(
            doc.contains(&row),
            "docs/result-codes.md lacks the action row {row:?}"
        );
    }
}

#[test]
fn every_default_configuration_key_is_documented() {
    let keys = default_config_keys();
    assert!(
        keys.len() > 30 && keys.contains(&"server.port".to_owned()),
        "parsed {keys:?}"
    );
    let doc = read(CONFIGURATION_DOC);
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("| `{k}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md has no table row for {missing:?}"
    );
}

#[test]
fn every_documented_configuration_key_exists() {
    let keys = default_config_keys();
    let doc = read(CONFIGURATION_DOC);
    let sections: BTreeSet<&str> = keys
        .iter()
        .filter_map(|k| k.split_once('.').map(|(s, _)| s))
        .collect();
    for line in doc.lines() {
        let Some(key) = line
            .strip_prefix("| `")
            .and_then(|l| l.split_once("` |"))
            .map(|(k, _)| k)
        else {
            continue;
        };
        let dotted = key
            .split_once('.')
            .is_some_and(|(s, _)| sections.contains(s));
        if dotted {
            assert!(
                keys.iter().any(|k| k == key),
                "docs/configuration.md documents {key}, which config/defaults.toml lacks"
            );
        }
    }
}

#[test]
fn every_per_entry_configuration_key_is_documented() {
    let source = read(CONFIG_RS);
    let doc = read(CONFIGURATION_DOC);
    for (table, strukt) in [
        ("[[callers]]", "CallerSettings"),
        ("[[clients]]", "ClientSettings"),
        ("[[issuers]]", "IssuerSettings"),
        ("[[keys.signing]]", "SigningKeySettings"),
        ("[[keys.sealing]]", "SealingKeySettings"),
    ] {
        let fields = struct_fields(&source, strukt);
        assert!(!fields.is_empty(), "no fields parsed for {strukt}");
        let start = doc
            .lines()
            .position(|l| l.starts_with("### ") && l.contains(table))
            .unwrap_or_else(|| panic!("docs/configuration.md has no section for {table}"));
        let section: Vec<&str> = doc
            .lines()
            .skip(start + 1)
            .take_while(|l| !l.starts_with('#'))
            .collect();
        let rows: BTreeSet<String> = section
            .iter()
            .filter_map(|l| {
                l.strip_prefix("| `")?
                    .split_once("` |")
                    .map(|(k, _)| k.to_owned())
            })
            .collect();
        let expected: BTreeSet<String> = fields.into_iter().collect();
        assert_eq!(
            rows, expected,
            "the {table} table of docs/configuration.md vs {strukt} in src/config.rs"
        );
    }
}
