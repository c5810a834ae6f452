//! `tojson` as `transformers` defines it for chat templates: Python's
//! `json.dumps(value, ensure_ascii=False, indent=indent)`, which differs from minijinja's own
//! filter (that one escapes `<`, `>`, `&` and `'` for HTML and never puts spaces after `,`).

use minijinja::value::Kwargs;
use minijinja::{Error, ErrorKind, Value};
use serde_json::Value as Json;

/// The `tojson` filter: `value | tojson` or `value | tojson(indent=N)`.
pub fn tojson(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let json = serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))?;
    let mut out = String::new();
    write_json(&json, indent, 0, &mut out);
    Ok(Value::from_safe_string(out))
}

/// Python's layout: `", "` and `": "` on one line; with an indent, one item a line and `","`.
fn write_json(value: &Json, indent: Option<usize>, depth: usize, out: &mut String) {
    let (open, close, items): (char, char, Vec<(Option<&String>, &Json)>) = match value {
        Json::Array(items) => ('[', ']', items.iter().map(|v| (None, v)).collect()),
        Json::Object(map) => ('{', '}', map.iter().map(|(k, v)| (Some(k), v)).collect()),
        scalar => {
            out.push_str(&scalar.to_string()); // serde_json leaves non-ASCII unescaped, as ensure_ascii=False
            return;
        }
    };
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    for (i, (key, item)) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(if indent.is_some() { "," } else { ", " });
        }
        newline(out, depth + 1);
        if let Some(key) = key {
            out.push_str(&Json::String(key.clone()).to_string());
            out.push_str(": ");
        }
        write_json(item, indent, depth + 1, out);
    }
    newline(out, depth);
    out.push(close);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(json: &str, indent: Option<usize>) -> String {
        let mut out = String::new();
        write_json(&serde_json::from_str(json).unwrap(), indent, 0, &mut out);
        out
    }

    #[test]
    fn lays_out_json_as_python_json_dumps() {
        // The expected strings are what Python 3's json.dumps(value, ensure_ascii=False[, indent=2]) prints.
        // (Keys in sorted order: Python keeps insertion order, serde_json may sort.)
        let value = r#"{"args": [1, 2.5, "é<>"], "empty": {}, "name": "get_weather", "none": null}"#;
        assert_eq!(dumps(value, None), r#"{"args": [1, 2.5, "é<>"], "empty": {}, "name": "get_weather", "none": null}"#);
        assert_eq!(
            dumps(r#"{"a": [1, {"b": true}], "c": []}"#, Some(2)),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": true\n    }\n  ],\n  \"c\": []\n}"
        );
    }
}
