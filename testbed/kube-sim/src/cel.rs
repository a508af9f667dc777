//! `x-kubernetes-validations`: the CEL rules of a CRD schema, evaluated on every write
//! as kube-apiserver evaluates them, so that a manifest a real cluster refuses (an
//! HTTPRoute path that does not start with `/`, two Gateway listeners with one name)
//! is refused here too, with the same field path and message.
//!
//! What follows kube-apiserver:
//! - `self` is the value at the rule's node; properties that are CEL keywords or
//!   contain `.`, `-`, `/` or `__` are escaped (`namespace` is `__namespace__`).
//! - Transition rules (those naming `oldSelf`) run only on an update where the old
//!   object has a value at the same place: object properties correlate by name,
//!   `x-kubernetes-list-type: map` items by their keys, and other list items not at all.
//! - Ratcheting: a value equal to the one it replaces is not checked again.
//! - `message`, `messageExpression`, `reason` and `fieldPath` shape the error; without a
//!   message it is `failed rule: <rule>`.
//! - A type error in the object blocks every rule, with kube-apiserver's message.
//!
//! Not followed: compile-time type checking (a rule this interpreter cannot parse is
//! not held against the object), the cost budget, and the `format`-driven conversions
//! of strings into timestamps. Functions beyond the CEL standard library: the strings
//! extension (`split`, `substring`, `lowerAscii`, ...) and `isIP`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cel::common::types::{CelBool, CelString};
use cel::objects::{Key, Map};
use cel::{Context, Env, Program};
use serde_json::Value;

use crate::status::Cause;

/// CEL's reserved words; a property with one of these names is `__name__` in a rule.
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

fn is_ip(s: &CelString<'_>) -> CelBool {
    CelBool::from(s.inner().parse::<std::net::IpAddr>().is_ok())
}

fn env() -> Option<Arc<Env>> {
    static ENV: OnceLock<Option<Arc<Env>>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings).ok()?;
        cel::add_overload!(env, fn is_ip: (CelString) -> CelBool, name = "isIP").ok()?;
        Some(Arc::new(env))
    })
    .clone()
}

/// The compiled rule, cached by its text; `None` when it does not parse here.
fn program(env: &Env, rule: &str) -> Option<Arc<Program>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Program>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = cache.get(rule) {
        return p.clone();
    }
    let p = env.compile(rule).ok().map(Arc::new);
    cache.insert(rule.to_string(), p.clone());
    p
}

/// A property name as a rule spells it.
fn escape(name: &str) -> String {
    if RESERVED.contains(&name) {
        return format!("__{name}__");
    }
    if !name.contains(['.', '-', '/']) && !name.contains("__") {
        return name.to_string();
    }
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}

/// The JSON value as CEL sees it under its schema: declared properties escaped,
/// `number` fields as doubles, everything else as it is.
fn to_cel(v: &Value, s: Option<&Value>) -> cel::Value {
    let ty = s.and_then(|s| s.get("type")).and_then(Value::as_str);
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (ty, n.as_i64()) {
            (Some("number"), _) | (_, None) => cel::Value::Float(n.as_f64().unwrap_or_default()),
            (_, Some(i)) => cel::Value::Int(i),
        },
        Value::String(st) => cel::Value::String(Arc::new(st.clone())),
        Value::Array(items) => {
            let is = s.and_then(|s| s.get("items"));
            cel::Value::List(Arc::new(items.iter().map(|x| to_cel(x, is)).collect()))
        }
        Value::Object(m) => {
            let props = s
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object);
            let extra = s.and_then(|s| s.get("additionalProperties"));
            let map = m
                .iter()
                .map(|(k, x)| match props.and_then(|p| p.get(k)) {
                    Some(ps) => (Key::String(Arc::new(escape(k))), to_cel(x, Some(ps))),
                    None => (Key::String(Arc::new(k.clone())), to_cel(x, extra)),
                })
                .collect();
            cel::Value::Map(Map { map: Arc::new(map) })
        }
    }
}

fn trimmed(rule: &str) -> String {
    rule.trim().to_string()
}

/// The cause kube-apiserver reports for a failed rule (`fieldErrorForReason`).
fn failure(reason: Option<&str>, field: String, ty: &str, detail: String) -> Cause {
    let (reason, message) = match reason {
        Some("FieldValueForbidden") => ("FieldValueForbidden", format!("Forbidden: {detail}")),
        Some("FieldValueRequired") => ("FieldValueRequired", format!("Required value: {detail}")),
        Some("FieldValueDuplicate") => ("FieldValueDuplicate", format!("Duplicate value: {ty:?}")),
        _ => (
            "FieldValueInvalid",
            format!("Invalid value: {ty:?}: {detail}"),
        ),
    };
    Cause::new(reason, &field, message)
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "<nil>".into()
    } else {
        path.to_string()
    }
}

/// `path` extended by a rule's `fieldPath` (`.spec.ports[0]`, `.a['b.c']`).
fn with_field_path(path: &str, field_path: &str) -> String {
    let rel = field_path.strip_prefix('.').unwrap_or(field_path);
    match (path.is_empty(), rel.starts_with('[')) {
        (true, _) => rel.to_string(),
        (false, true) => format!("{path}{rel}"),
        (false, false) => format!("{path}.{rel}"),
    }
}

struct Node<'a> {
    value: &'a Value,
    old: Option<&'a Value>,
    schema: &'a Value,
    path: String,
}

fn check_rules(env: &Arc<Env>, n: &Node<'_>, out: &mut Vec<Cause>) {
    let Some(rules) = n
        .schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    else {
        return;
    };
    let ty = n
        .schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let this = to_cel(n.value, Some(n.schema));
    let old = n.old.map(|o| to_cel(o, Some(n.schema)));
    for r in rules {
        let Some(text) = r.get("rule").and_then(Value::as_str) else {
            continue;
        };
        let Some(program) = program(env, text) else {
            continue;
        };
        let transition = program.references().has_variable("oldSelf");
        if transition && old.is_none() {
            continue;
        }
        let mut ctx = Context::with_env(env.clone());
        ctx.add_variable_from_value("self", this.clone());
        if let Some(old) = &old {
            ctx.add_variable_from_value("oldSelf", old.clone());
        }
        let detail = match program.execute(&ctx) {
            Ok(cel::Value::Bool(true)) => continue,
            Ok(cel::Value::Bool(false)) => None,
            Ok(other) => Some(format!(
                "rule did not evaluate to a bool but to {:?}: {}",
                other.type_of(),
                trimmed(text)
            )),
            Err(e) => {
                // cel-go's wording: lower case, and the rule's message when it has one.
                let e = e.to_string();
                let mut chars = e.chars();
                let e = match chars.next() {
                    Some(c) => c.to_lowercase().chain(chars).collect::<String>(),
                    None => e,
                };
                let shown = r
                    .get("message")
                    .and_then(Value::as_str)
                    .filter(|m| !m.trim().is_empty())
                    .map_or_else(|| trimmed(text), trimmed);
                Some(format!("{e} evaluating rule: {shown}"))
            }
        };
        if let Some(detail) = detail {
            out.push(failure(None, shown(&n.path), ty, detail));
            continue;
        }
        let message = r
            .get("messageExpression")
            .and_then(Value::as_str)
            .and_then(|m| program_message(env, m, &ctx))
            .or_else(|| {
                r.get("message")
                    .and_then(Value::as_str)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("failed rule: {}", trimmed(text)));
        let field = match r.get("fieldPath").and_then(Value::as_str) {
            Some(fp) if !fp.is_empty() => with_field_path(&n.path, fp),
            _ => shown(&n.path),
        };
        let reason = r.get("reason").and_then(Value::as_str);
        out.push(failure(reason, field, ty, message));
    }
}

fn program_message(env: &Env, expr: &str, ctx: &Context<'_, '_>) -> Option<String> {
    match program(env, expr)?.execute(ctx).ok()? {
        cel::Value::String(s) if !s.trim().is_empty() => Some(s.to_string()),
        _ => None,
    }
}

/// The item of `old` that `item` correlates with in a list of this schema.
fn correlated<'a>(schema: &Value, item: &Value, old: Option<&'a Value>) -> Option<&'a Value> {
    let id = crate::fields::list_identity(schema, item)?;
    old?.as_array()?
        .iter()
        .find(|o| crate::fields::list_identity(schema, o).as_ref() == Some(&id))
}

fn walk(env: &Arc<Env>, n: Node<'_>, out: &mut Vec<Cause>) {
    if n.old == Some(n.value) {
        return;
    }
    check_rules(env, &n, out);
    match n.value {
        Value::Object(m) => {
            let props = n.schema.get("properties").and_then(Value::as_object);
            let extra = n
                .schema
                .get("additionalProperties")
                .filter(|x| x.is_object());
            for (k, child) in m {
                if n.path.is_empty() && k == "metadata" {
                    continue;
                }
                if let Some(cs) = props.and_then(|p| p.get(k)).or(extra) {
                    let path = crate::validate::join(&n.path, k);
                    let old = n.old.and_then(|o| o.get(k));
                    walk(
                        env,
                        Node {
                            value: child,
                            old,
                            schema: cs,
                            path,
                        },
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = n.schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let old = correlated(n.schema, item, n.old);
                    let path = format!("{}[{i}]", n.path);
                    walk(
                        env,
                        Node {
                            value: item,
                            old,
                            schema: is,
                            path,
                        },
                        out,
                    );
                }
            }
        }
        _ => {}
    }
}

/// The causes of every CEL rule in `schema` that `obj` breaks; `old` is the object it
/// replaces, for transition rules and ratcheting.
pub fn validate(obj: &Value, old: Option<&Value>, schema: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    if let Some(env) = env() {
        let root = Node {
            value: obj,
            old,
            schema,
            path: String::new(),
        };
        walk(&env, root, &mut out);
    }
    out
}

/// The cause kube-apiserver gives in place of every rule when the object has a type
/// error (`hasBlockingErr`).
pub fn blocked() -> Cause {
    Cause {
        reason: "FieldValueInvalid".into(),
        message: "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation".into(),
        field: "<nil>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "path": {"type": "object",
                "x-kubernetes-validations": [{"rule": "self.value.startsWith('/')",
                    "message": "value must be an absolute path"}],
                "properties": {"value": {"type": "string"}}},
            "listeners": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "x-kubernetes-validations": [{"rule": "self.all(l1, self.exists_one(l2, l1.name == l2.name))",
                    "message": "Listener name must be unique within the Gateway"}],
                "items": {"type": "object", "properties": {"name": {"type": "string"},
                    "namespace": {"type": "string"}},
                    "x-kubernetes-validations": [{"rule": "!has(self.__namespace__) || self.__namespace__ != ''",
                        "fieldPath": ".namespace", "reason": "FieldValueForbidden",
                        "message": "must not be empty"}]}},
            "class": {"type": "string",
                "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "Value is immutable"}]}}}}})
    }

    fn messages(causes: &[Cause]) -> Vec<String> {
        causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn a_broken_rule_names_its_field_and_message() {
        let obj = json!({"spec": {"path": {"value": "x"}, "listeners": [{"name": "a"}, {"name": "a", "namespace": ""}]}});
        assert_eq!(
            messages(&validate(&obj, None, &schema())),
            vec![
                "spec.listeners: Invalid value: \"array\": Listener name must be unique within the Gateway",
                "spec.listeners[1].namespace: Forbidden: must not be empty",
                "spec.path: Invalid value: \"object\": value must be an absolute path",
            ]
        );
        let ok =
            json!({"spec": {"path": {"value": "/x"}, "listeners": [{"name": "a"}, {"name": "b"}]}});
        assert!(validate(&ok, None, &schema()).is_empty());
    }

    #[test]
    fn transition_rules_need_an_old_value_and_unchanged_values_are_not_checked_again() {
        let old = json!({"spec": {"class": "a", "path": {"value": "x"}}});
        assert!(
            validate(&old, None, &schema()).len() == 1,
            "no oldSelf on create"
        );
        let same = json!({"spec": {"class": "a", "path": {"value": "x"}}});
        assert!(
            validate(&same, Some(&old), &schema()).is_empty(),
            "ratcheted"
        );
        let changed = json!({"spec": {"class": "b", "path": {"value": "x"}}});
        assert_eq!(
            messages(&validate(&changed, Some(&old), &schema())),
            vec!["spec.class: Invalid value: \"string\": Value is immutable"]
        );
    }

    #[test]
    fn a_rule_that_cannot_evaluate_says_why() {
        let s =
            json!({"type": "object", "x-kubernetes-validations": [{"rule": "self.missing == 1"}]});
        let causes = validate(&json!({"spec": {}}), None, &s);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "<nil>");
        assert!(
            causes[0]
                .message
                .ends_with("evaluating rule: self.missing == 1"),
            "{}",
            causes[0].message
        );
    }
}
