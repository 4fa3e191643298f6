"""/docs: the OpenAPI schema rendered on the server as a plain page.

FastAPI's own /docs loads Swagger UI from a CDN, which an offline machine cannot reach; this page needs
nothing but the schema at /openapi.json.
"""

from __future__ import annotations

from typing import Any


def type_name(schema: dict[str, Any]) -> str:
    """A short human name for a JSON schema: 'integer', 'ArticlePage', 'list[string]', 'string | null'."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_name(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{type_name(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"dict[string, {type_name(extra) if isinstance(extra, dict) else 'any'}]"
    if schema.get("format") in ("date", "date-time"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def constraints(schema: dict[str, Any]) -> str:
    parts = []
    labels = (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "max length"), ("pattern", "pattern"))
    for key, label in labels:
        if key in schema:
            parts.append(f"{label} {schema[key]}")
    for sub in schema.get("anyOf", []):
        if sub.get("type") != "null":
            c = constraints(sub)
            if c:
                parts.append(c)
    return ", ".join(parts)


def endpoints(api: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, methods in api.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"], "in": p["in"], "required": p.get("required", False),
                    "type": type_name(p.get("schema", {})), "default": p.get("schema", {}).get("default"),
                    "constraints": constraints(p.get("schema", {})),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            responses = []
            for code, r in op.get("responses", {}).items():
                content = r.get("content", {})
                json_schema = content.get("application/json", {}).get("schema", {})
                responses.append({
                    "code": code, "description": r.get("description", ""),
                    "types": sorted(content), "json": type_name(json_schema) if json_schema else "",
                })
            body = op.get("requestBody", {})
            out.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "params": params, "responses": responses,
                "body": [{"type": media, "schema": type_name(c.get("schema", {}))}
                         for media, c in body.get("content", {}).items()],
                "body_description": body.get("description", ""),
                "auth": bool(op.get("security")),
            })
    return out


def schemas(api: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, schema in sorted(api.get("components", {}).get("schemas", {}).items()):
        if name in ("HTTPValidationError", "ValidationError"):
            continue
        required = set(schema.get("required", []))
        fields = [
            {"name": f, "type": type_name(s), "required": f in required,
             "description": s.get("description", "")}
            for f, s in schema.get("properties", {}).items()
        ]
        out.append({"name": name, "description": schema.get("description", ""), "fields": fields})
    return out


def reference(api: dict[str, Any]) -> dict[str, Any]:
    """What docs.html shows: title, description, endpoints, schemas."""
    info = api.get("info", {})
    return {
        "title": info.get("title", ""), "version": info.get("version", ""),
        "description": info.get("description", ""), "endpoints": endpoints(api), "schemas": schemas(api),
    }
