//! The HTTP entry point: routes each request to discovery, OpenAPI, or a verb on a
//! resource, and renders the answer (object, list, Table, watch stream or Status).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::delete::{DeleteOpts, delete};
use crate::http_util::{decode_body, flag, json_response, parse_query};
use crate::ops::{self, FieldValidation, Part, PatchKind, WriteOpts};
use crate::resources::ResourceType;
use crate::router::{ResourcePath, Route, route};
use crate::state::Shared;
use crate::status::ApiError;
use crate::watch::{WatchParams, watch};
use crate::{discovery, openapi, table};

/// The most a request body may hold: kube-apiserver's `MaxRequestBodyBytes`.
const MAX_BODY: usize = 3 * 1024 * 1024;

/// Answers one request.
pub async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            if e.to_string().contains("length limit exceeded") {
                return ApiError::too_large(MAX_BODY).into_response();
            }
            return ApiError::bad_request(format!("reading the request body: {e}")).into_response();
        }
    };
    let hdr = |h: header::HeaderName| {
        parts
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let ctx = Ctx {
        method: parts.method.clone(),
        query: parse_query(parts.uri.query()),
        accept: hdr(header::ACCEPT),
        content_type: hdr(header::CONTENT_TYPE),
        user_agent: hdr(header::USER_AGENT),
        host: hdr(header::HOST),
    };
    tracing::debug!(method = %parts.method, uri = %parts.uri, "request");
    let path = parts.uri.path().to_string();
    let route = route(&path);
    if let Route::Resource(p) = &route
        && shared.opts.record_requests
    {
        let authorization = hdr(header::AUTHORIZATION);
        shared.audit.record(crate::audit::request(
            &ctx.method,
            p,
            &ctx.query,
            &authorization,
        ));
    }
    crate::warnings::take();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch(&shared, route, &ctx, &body)
    }))
    .unwrap_or_else(|_| {
        Err(ApiError::internal(
            "the server could not handle the request",
        ))
    });
    let response = match result {
        Ok(Answer::Json(code, v)) => json_response(code, &v),
        Ok(Answer::Watch(w)) => {
            let (rt, p) = *w;
            watch(shared.clone(), rt, p)
        }
        Ok(Answer::Text(t)) => Response::new(Body::from(t)),
        Ok(Answer::Bytes(ct, b)) => {
            let mut r = Response::new(Body::from(b));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, http::HeaderValue::from_static(ct));
            r
        }
        Err(e) => e.into_response(),
    };
    let mut response = response;
    for w in crate::warnings::take() {
        if let Ok(v) = http::HeaderValue::from_str(&crate::warnings::header_value(&w)) {
            response.headers_mut().append(header::WARNING, v);
        }
    }
    if parts.method != Method::GET {
        shared.changed();
    }
    response
}

struct Ctx {
    method: Method,
    query: HashMap<String, String>,
    accept: String,
    content_type: String,
    user_agent: String,
    host: String,
}

enum Answer {
    Json(StatusCode, Value),
    Watch(Box<(ResourceType, WatchParams)>),
    Text(&'static str),
    Bytes(&'static str, Vec<u8>),
}

impl Ctx {
    fn read(&self) -> crate::list::ReadCtx<'_> {
        crate::list::ReadCtx {
            query: &self.query,
            accept: &self.accept,
        }
    }
}

fn found(v: Option<Value>) -> Result<Answer, ApiError> {
    v.map(|v| Answer::Json(StatusCode::OK, v))
        .ok_or_else(ApiError::no_route)
}

fn dispatch(shared: &Arc<Shared>, r: Route, ctx: &Ctx, body: &[u8]) -> Result<Answer, ApiError> {
    let inner = || shared.lock();
    match r {
        Route::Root => found(Some(discovery::root_paths(&inner().registry))),
        Route::Version => found(Some(discovery::version())),
        Route::Health => Ok(Answer::Text("ok")),
        Route::CoreVersions => found(Some(discovery::api_versions(&ctx.host))),
        Route::Groups => found(Some(discovery::api_group_list(&inner().registry))),
        Route::Group(g) => found(discovery::api_group(&inner().registry, &g)),
        Route::ResourceList(g, v) => found(discovery::resource_list(&inner().registry, &g, &v)),
        Route::OpenApiV3Index => found(Some(openapi::index(&inner().registry))),
        Route::OpenApiV3(g, v) => found(openapi::group_version(&inner().registry, &g, &v)),
        Route::OpenApiV2 if ctx.accept.contains("protobuf") => Ok(Answer::Bytes(
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
            openapi::v2_protobuf(),
        )),
        Route::OpenApiV2 => found(Some(openapi::v2_json())),
        Route::Unknown => Err(ApiError::no_route()),
        Route::Resource(p) => resource(shared, p, ctx, body),
    }
}

fn manager(ctx: &Ctx) -> String {
    match ctx.query.get("fieldManager") {
        Some(m) => m.clone(),
        None => ctx
            .user_agent
            .split('/')
            .next()
            .unwrap_or_default()
            .chars()
            .take(128)
            .collect(),
    }
}

fn present(rt: &ResourceType, ctx: &Ctx, obj: Value) -> Value {
    if table::wants_table(&ctx.accept) {
        let include = ctx
            .query
            .get("includeObject")
            .map(String::as_str)
            .unwrap_or("Metadata");
        return table::table(rt, &[obj], include, json!({}));
    }
    if ctx.accept.contains("as=PartialObjectMetadata") {
        return json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]});
    }
    crate::convert::to_view(rt, &obj)
}

fn resource(
    shared: &Arc<Shared>,
    p: ResourcePath,
    ctx: &Ctx,
    body: &[u8],
) -> Result<Answer, ApiError> {
    let rt = shared
        .lock()
        .registry
        .find(&p.group, &p.version, &p.plural)
        .cloned()
        .ok_or_else(ApiError::no_route)?;
    let ns = p.namespace.clone().unwrap_or_default();
    if rt.namespaced && p.namespace.is_none() && (p.name.is_some() || ctx.method == Method::POST) {
        return Err(ApiError::no_route());
    }
    if !rt.namespaced && p.namespace.is_some() {
        return Err(ApiError::no_route());
    }
    let part = match p.subresource.as_deref() {
        None => Part::Main,
        Some("status") if rt.status_subresource => Part::Status,
        Some("finalize") if !rt.custom && rt.group.is_empty() && rt.plural == "namespaces" => {
            if ctx.method != Method::PUT {
                return Err(ApiError::method_not_allowed(ctx.method.as_str()));
            }
            Part::Finalize
        }
        Some(_) => return Err(ApiError::no_route()),
    };
    if part == Part::Status
        && matches!(ctx.method, Method::PUT | Method::PATCH)
        && shared.faults.status_conflict()
    {
        let name = p.name.as_deref().unwrap_or_default();
        return Err(ApiError::conflict(&rt.group, &rt.plural, name));
    }
    let w = WriteOpts {
        manager: manager(ctx),
        dry_run: ctx.query.get("dryRun").is_some_and(|d| !d.is_empty()),
        force: flag(&ctx.query, "force"),
        validation: FieldValidation::from_query(
            ctx.query.get("fieldValidation").map(String::as_str),
        ),
    };
    let json = |code: StatusCode, v: Value| Ok(Answer::Json(code, present(&rt, ctx, v)));
    let created = |c: bool| {
        if c {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        }
    };
    match (&ctx.method, &p.name) {
        (&Method::GET, None) if flag(&ctx.query, "watch") || p.legacy_watch => {
            crate::list::watch_params(shared, &rt, p.namespace, &ctx.read())
                .map(|wp| Answer::Watch(Box::new((rt.clone(), wp))))
        }
        (&Method::GET, Some(name)) if p.legacy_watch => {
            let mut query = ctx.query.clone();
            query.insert("fieldSelector".into(), format!("metadata.name={name}"));
            let read = crate::list::ReadCtx {
                query: &query,
                accept: &ctx.accept,
            };
            crate::list::watch_params(shared, &rt, p.namespace, &read)
                .map(|wp| Answer::Watch(Box::new((rt.clone(), wp))))
        }
        (&Method::GET, None) => Ok(Answer::Json(
            StatusCode::OK,
            crate::list::list(shared, &rt, p.namespace.as_deref(), &ctx.read())?,
        )),
        (&Method::GET, Some(name)) => {
            let obj = shared.lock().store.get(&rt.storage_key(), &ns, name);
            let obj = obj.ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
            json(StatusCode::OK, (*obj).clone())
        }
        (&Method::POST, None) => {
            let obj = decode_body(&ctx.content_type, body)?;
            json(
                StatusCode::CREATED,
                ops::create(&mut shared.lock(), &rt, &ns, obj, &w)?,
            )
        }
        (&Method::PUT, Some(name)) => {
            let obj = decode_body(&ctx.content_type, body)?;
            let mut inner = shared.lock();
            let (o, c) = crate::update::update(&mut inner, &rt, &ns, name, obj, part, &w)?;
            if part == Part::Finalize {
                crate::delete::finish_namespace(&mut inner, name);
            }
            drop(inner);
            json(created(c), o)
        }
        (&Method::PATCH, Some(name)) => {
            let ct = ctx
                .content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim();
            // Custom resources have no strategic merge patch.
            let accepted: &[&str] = if rt.custom {
                &[
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/apply-patch+yaml",
                ]
            } else {
                &[
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                    "application/apply-patch+yaml",
                ]
            };
            let kind = match ct {
                "application/merge-patch+json" => PatchKind::Merge,
                "application/json-patch+json" => PatchKind::Json,
                "application/strategic-merge-patch+json" if !rt.custom => PatchKind::Strategic,
                "application/apply-patch+yaml" | "application/apply-patch+json" => PatchKind::Apply,
                _ => return Err(ApiError::unsupported_media_type(accepted)),
            };
            let patch = if kind == PatchKind::Apply {
                decode_body("application/yaml", body)?
            } else {
                decode_body("application/json", body)?
            };
            let (o, c) =
                crate::update::patch(&mut shared.lock(), &rt, &ns, name, kind, &patch, part, &w)?;
            json(created(c), o)
        }
        (&Method::DELETE, Some(name)) if part == Part::Main => {
            let opts = if body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                decode_body("application/json", body)?
            };
            let opts = DeleteOpts::from_body(&opts, w.dry_run);
            json(
                StatusCode::OK,
                delete(&mut shared.lock(), &rt, &ns, name, &opts)?.response(&rt),
            )
        }
        (&Method::DELETE, None)
            if !rt.custom && rt.group.is_empty() && rt.plural == "namespaces" =>
        {
            Err(ApiError::method_not_allowed("DELETE"))
        }
        (&Method::DELETE, None) => {
            let items = crate::list::select(shared, &rt, p.namespace.as_deref(), &ctx.read())?;
            let mut inner = shared.lock();
            let mut gone = Vec::new();
            for o in items {
                let (ons, oname) = (
                    crate::meta::meta_str(&o, "namespace"),
                    crate::meta::meta_str(&o, "name"),
                );
                if let Ok(d) = delete(
                    &mut inner,
                    &rt,
                    ons,
                    oname,
                    &DeleteOpts {
                        dry_run: w.dry_run,
                        ..Default::default()
                    },
                ) {
                    gone.push(d.object);
                }
            }
            let rv = inner.store.rv().to_string();
            Ok(Answer::Json(
                StatusCode::OK,
                json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": {"resourceVersion": rv}, "items": gone}),
            ))
        }
        (m, _) => Err(ApiError::method_not_allowed(m.as_str())),
    }
}
