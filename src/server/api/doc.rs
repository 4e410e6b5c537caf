//! What the route attributes cannot state, added to the OpenAPI document after the routes are
//! collected.
//!
//! [`StandardAnswers`]: the answers every operation can give because of what it is, derived from
//! the operation itself (so a route added later cannot forget one): a JSON body can be
//! malformed (400), too large (413), not JSON (415) or invalid (422); a path or query can fail to
//! decode (400) or name nothing (404); a token can be missing (401, reads too under `--auth
//! required`) or too weak (403); the database can be busy (503).
//!
//! [`rules`]: the checks that relate two fields, which derive attributes cannot write.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr, Response, ResponseBuilder};

pub struct StandardAnswers;

/// Probes answer without a token and never 4xx.
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

impl utoipa::Modify for StandardAnswers {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            if PROBES.contains(&path.as_str()) {
                continue;
            }
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                add_answers(op);
            }
        }
    }
}

fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", utoipa::openapi::ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build(),
    )
}

fn add_answers(op: &mut Operation) {
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p.parameter_in.clone()),
        RefOr::Ref(_) => None,
    });
    let (mut in_path, mut in_query) = (false, false);
    for place in params {
        match place {
            ParameterIn::Path => in_path = true,
            ParameterIn::Query => in_query = true,
            _ => {}
        }
    }
    let body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |code: &str, description: &str| {
        op.responses.responses.entry(code.to_string()).or_insert_with(|| error(description));
    };
    if body {
        add("400", "the body is not well-formed JSON (or breaks off)");
        add("413", "the body is over this route's size limit");
        add("415", "the body is not sent as Content-Type: application/json");
        add("422", "a value is not acceptable: the field names it");
    } else if in_path || in_query {
        add("400", "a path or query parameter does not decode");
    }
    if in_query {
        add("422", "a query parameter is not acceptable: the field names it");
    }
    if in_path {
        add("404", "nothing has this identifier");
    }
    add("401", if secured { "no token, or an unknown or revoked one" } else { "no token, with --auth required" });
    if secured {
        add("403", "the token's scope is too weak for this route");
    }
    add("503", "the database is busy: retry");
}

/// A component schema, and also one of `branches`: `allOf: [schema, {anyOf: branches}]`.
fn and_one_of(doc: &mut OpenApi, schema: &str, branches: Vec<ObjectBuilder>) {
    let components = doc.components.as_mut().expect("components");
    let original = components.schemas.remove(schema).unwrap_or_else(|| panic!("no schema {schema}"));
    let any = branches.into_iter().fold(AnyOfBuilder::new(), |any, b| any.item(Schema::Object(b.build())));
    let both = AllOfBuilder::new().item(original).item(Schema::AnyOf(any.build()));
    components.schemas.insert(schema.to_string(), RefOr::T(Schema::AllOf(both.build())));
}

fn typed(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(t)
}

/// The cross-field checks JSON Schema can say, and the seed's results without the parts it
/// leaves out.
pub fn rules(doc: &mut OpenApi) {
    // `sample_size` goes with, and only with, `mode: sampled`.
    and_one_of(
        doc,
        "TriggerRun",
        vec![
            ObjectBuilder::new()
                .property("mode", ObjectBuilder::new().enum_values(Some(["sampled"])))
                .property("sample_size", typed(Type::Integer).minimum(Some(1)))
                .required("mode")
                .required("sample_size"),
            ObjectBuilder::new()
                .property("mode", ObjectBuilder::new().enum_values(Some(["full"])))
                .property("sample_size", typed(Type::Null)),
        ],
    );
    // An imported script names an existing version or carries its source.
    and_one_of(
        doc,
        "ImportScript",
        vec![
            ObjectBuilder::new().property("source", typed(Type::String)).required("source"),
            ObjectBuilder::new().property("version", typed(Type::Integer)).required("version"),
        ],
    );
    // `/bench-runs/{id}/results` answers the seed's BenchResult: a result without scorer
    // results, dimensions and trace (read one result for those).
    let components = doc.components.as_mut().expect("components");
    if let Some(RefOr::T(Schema::Object(mut seed))) = components.schemas.get("ResultDetail").cloned() {
        for k in ["scorer_results", "dimension_scores", "trace"] {
            seed.properties.remove(k);
            seed.required.retain(|r| r != k);
        }
        seed.description = Some("The seed's `BenchResult`: a result without scorer results, dimensions and trace.".into());
        components.schemas.insert("SeedResult".into(), RefOr::T(Schema::Object(seed)));
    }
    let seed_results = doc.paths.paths.get_mut("/bench-runs/{id}/results").and_then(|p| p.get.as_mut());
    if let Some(op) = seed_results {
        op.responses.responses.insert(
            "200".into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("every result of the run, one JSON array, streamed")
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::schema::ArrayBuilder::new().items(Ref::from_schema_name("SeedResult"))))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    // An N-way comparison names each run once.
    let nway = doc.paths.paths.get_mut("/api/compare").and_then(|p| p.get.as_mut());
    for p in nway.and_then(|op| op.parameters.as_mut()).into_iter().flatten() {
        if let RefOr::T(p) = p {
            if p.name == "runs" {
                if let Some(RefOr::T(Schema::Array(a))) = &mut p.schema {
                    a.unique_items = true;
                }
            }
        }
    }
}
