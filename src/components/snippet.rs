//! A results row's text cell: with a search, the snippet that matched (its field named, each
//! match in `<mark>`); without, the error and the output preview. Stored text is only ever a
//! text node here, never markup.

use leptos::prelude::*;

use crate::model::search::Snippet;

/// How a snippet's field is named to the reader.
fn field_label(field: &str) -> &'static str {
    match field {
        "output" => "output",
        "error" => "error",
        "reason" => "scorer reason",
        "input" => "inputs",
        "case_name" => "case name",
        _ => "case id",
    }
}

/// The `<td>` of a result's text.
#[component]
pub fn ResultTextCell(error: Option<String>, preview: Option<String>, snippet: Option<Snippet>) -> impl IntoView {
    match snippet {
        Some(s) => view! {
            <td class="preview snippet" data-testid="snippet" data-field=s.field.clone()>
                <span class="snippet-field">{field_label(&s.field)}</span>
                {s.parts.into_iter().map(|p| if p.hit {
                    view! { <mark>{p.text}</mark> }.into_any()
                } else {
                    p.text.into_any()
                }).collect_view()}
            </td>
        }
        .into_any(),
        None => view! {
            <td class="preview">{error.map(|e| view! { <span class="error">{e}</span> })}{preview}</td>
        }
        .into_any(),
    }
}
