//! The verification page's HTML: the forms, the result, the search by
//! document.

use super::outcome::check_key;
use super::*;

/// The strings `verify.js` shows, in the page's language.
fn script_strings(lang: Lang) -> String {
    let s = |k| t(lang, k);
    serde_json::json!({
        "checking": s(Key::JsChecking),
        "verified": s(Key::JsVerified),
        "verifiedDetail": s(Key::JsVerifiedDetail),
        "failed": s(Key::JsFailed),
        "reasonSignature": s(Key::JsReasonSignature),
        "reasonKey": s(Key::JsReasonKey),
        "reasonCheckpoint": s(Key::JsReasonCheckpoint),
        "reasonInclusion": s(Key::JsReasonInclusion),
        "reasonClaims": s(Key::JsReasonClaims),
        "reasonNetwork": s(Key::JsReasonNetwork),
        "reasonUnsupported": s(Key::JsReasonUnsupported),
        "hashing": s(Key::JsHashing),
        "hashed": s(Key::JsHashed),
        "noReceipt": s(Key::JsNoReceipt),
        "fileError": s(Key::JsFileError),
        "docMatch": s(Key::DocMatch),
        "docMismatch": s(Key::DocMismatch),
    })
    .to_string()
}

/// The whole page.
pub(super) fn render(ctx: &Ctx, state: &AppState, inputs: &Inputs, view: &View) -> Markup {
    let has_result = matches!(view, View::Result(_));
    let body = html! {
        div #verify-app data-strings=(script_strings(ctx.lang)) {
            h1 { (ctx.t(Key::VerifyTitle)) }
            @match view {
                View::Result(outcome) => { (result(ctx, state, outcome)) }
                View::NotFound => {
                    div #not-found .notice.error role="alert" {
                        p { strong { (ctx.t(Key::NotFound)) } }
                        p { (ctx.t(Key::NotFoundHint)) }
                    }
                }
                View::Search(hash, letters) => { (search(ctx, hash, letters)) }
                View::Error(message, detail) => {
                    div #form-error .notice.error role="alert" {
                        p { (message) }
                        @if let Some(detail) = detail { p.detail lang="en" dir="ltr" { (detail) } }
                    }
                }
                View::Empty => {}
            }
            @if has_result { (drop_zone(ctx)) }
            (number_form(ctx, inputs, has_result))
            @if !has_result { (drop_zone(ctx)) }
            (paste_form(ctx, inputs))
        }
    };
    page(ctx, ctx.t(Key::VerifyTitle), body, &[Asset::VerifyJs])
}

fn number_form(ctx: &Ctx, inputs: &Inputs, has_result: bool) -> Markup {
    html! {
        section.card aria-labelledby="lookup-title" {
            @if has_result {
                h2 #lookup-title { (ctx.t(Key::NavVerify)) }
            } @else {
                h2 #lookup-title .visually-hidden { (ctx.t(Key::NavVerify)) }
                p.intro { (ctx.t(Key::VerifyIntro)) }
            }
            form #lookup-form method="get" action="/" {
                div.grid {
                    div.field {
                        label for="number" { (ctx.t(Key::NumberLabel)) }
                        input #number type="text" name="number" value=(inputs.number) autocomplete="off"
                            spellcheck="false" autocapitalize="characters" dir="ltr" aria-describedby="number-hint";
                        p #number-hint .hint { (ctx.t(Key::NumberHint)) }
                    }
                    div.field {
                        label for="code" { (ctx.t(Key::CodeLabel)) }
                        input #code type="text" name="code" value=(inputs.code) autocomplete="off" spellcheck="false"
                            autocapitalize="characters" dir="ltr" aria-describedby="code-hint";
                        p #code-hint .hint { (ctx.t(Key::CodeHint)) }
                    }
                }
                div.field {
                    label for="sha256" { (ctx.t(Key::Sha256Label)) }
                    input #sha256 type="text" name="sha256" value=(inputs.sha256) autocomplete="off" spellcheck="false"
                        dir="ltr" pattern="[0-9a-fA-F]{64}" aria-describedby="sha256-hint";
                    p #sha256-hint .hint { (ctx.t(Key::Sha256Hint)) }
                }
                div.actions {
                    button #verify-submit .primary type="submit" { (ctx.t(Key::VerifySubmit)) }
                }
            }
        }
    }
}

fn drop_zone(ctx: &Ctx) -> Markup {
    html! {
        section.card aria-labelledby="document-title" {
            h2 #document-title { (ctx.t(Key::DocumentTitle)) }
            div #dropzone .dropzone {
                label for="document" { (ctx.t(Key::DropLabel)) }
                // No name: the file is never part of any form submission.
                input #document type="file" aria-describedby="document-hint";
                p #document-hint .hint { (ctx.t(Key::DropHint)) }
            }
            div #document-status .document-status aria-live="polite" {}
        }
    }
}

fn paste_form(ctx: &Ctx, inputs: &Inputs) -> Markup {
    html! {
        section.card aria-labelledby="paste-title" {
            h2 #paste-title { (ctx.t(Key::PasteTitle)) }
            form #paste-form method="post" action="/verify" {
                div.field {
                    label for="receipt" { (ctx.t(Key::PasteLabel)) }
                    textarea #receipt name="receipt" rows="5" spellcheck="false" autocomplete="off" dir="ltr" {
                        (inputs.receipt)
                    }
                }
                input #receipt-sha256 type="hidden" name="sha256" value=(inputs.sha256);
                div.actions {
                    button #receipt-submit .secondary type="submit" { (ctx.t(Key::PasteSubmit)) }
                }
            }
        }
    }
}

fn search(ctx: &Ctx, hash: &str, letters: &[(String, String)]) -> Markup {
    html! {
        section #search .card aria-labelledby="search-title" {
            h2 #search-title { (ctx.t(Key::SearchTitle)) }
            p { code.hash dir="ltr" { (hash) } }
            @if letters.is_empty() {
                p #search-none { (ctx.t(Key::SearchNone)) }
            } @else {
                ul #search-results {
                    @for (number, when) in letters {
                        li {
                            a href=(format!("/?number={}&sha256={}", url_encode(number), hash)) { bdi dir="ltr" { (number) } }
                            " — " (when)
                        }
                    }
                }
            }
        }
    }
}

fn result(ctx: &Ctx, state: &AppState, outcome: &Outcome) -> Markup {
    let local = outcome
        .registered_at
        .as_deref()
        .and_then(|t| local_time(state, t));
    let hijri = local.and_then(|t| HijriDate::from_gregorian(t.date()));
    let zone = state.registry.time_zone().to_string();
    let source = match outcome.source {
        Source::Registry => "registry",
        Source::Pasted => "pasted",
    };
    html! {
        section #result .card data-number=(outcome.number) data-source=(source)
            data-bundle=(outcome.bundle_json) data-jwks=(outcome.jwks_json) aria-labelledby="result-title" {
            h2 #result-title { (ctx.t(Key::ResultTitle)) }
            @if outcome.passed {
                div #verdict .verdict.ok role="status" { p { (ctx.t(Key::VerdictOk)) } }
            } @else {
                div #verdict .verdict.fail role="alert" { p { (ctx.t(Key::VerdictFail)) } }
            }
            @if let Some(t) = local {
                p #registered-on .lead {
                    (fill_markup(ctx.t(Key::RegisteredOn), &[
                        ("date", html! { strong { (format_date(ctx.lang, t.date())) } }),
                        ("time", html! { strong { (format_time(&t)) } }),
                        ("number", html! { strong.mono { (ltr(&outcome.number)) } }),
                    ]))
                }
                p #registered-hijri {
                    @if let Some(h) = hijri {
                        (tf(ctx.lang, Key::HijriEquivalent, &[("hijri", &format_hijri(ctx.lang, h))])) " "
                    }
                    span.muted { (fill_markup(ctx.t(Key::TimeZoneNote), &[("tz", ltr(&zone))])) }
                }
            } @else {
                p #registered-on .lead { strong.mono { (ltr(&outcome.number)) } }
            }
            p.muted {
                @if let Some(index) = outcome.index {
                    (tf(ctx.lang, Key::LogEntry, &[("n", &index.to_string())])) ". "
                }
                @if let Some(status) = &outcome.status {
                    (ctx.t(Key::StatusLabel)) (colon(ctx.lang))
                    @if status == "registered" { (ctx.t(Key::StatusRegistered)) } @else { (status) }
                }
            }
            @match outcome.code {
                CodeState::Matched => {
                    div #code-result .notice.ok role="status" { p { (ctx.t(Key::CodeOk)) } }
                }
                CodeState::Wrong => {
                    div #code-result .notice.error role="alert" { p { (ctx.t(Key::CodeWrong)) } }
                }
                CodeState::Malformed => {
                    div #code-result .notice.error role="alert" { p { (ctx.t(Key::CodeMalformed)) } }
                }
                CodeState::Absent => {
                    p #personal-hidden .hint { (ctx.t(Key::PersonalHidden)) }
                }
            }
            @if let Some(letter) = &outcome.letter {
                dl #letter-details .facts {
                    dt { (ctx.t(Key::SenderLabel)) }
                    dd #letter-sender { bdi { (letter.metadata.sender.name) } }
                    dt { (ctx.t(Key::SubjectLabel)) }
                    dd #letter-subject { bdi { (letter.metadata.subject) } }
                    @if let Some(addressee) = &letter.metadata.addressee {
                        dt { (ctx.t(Key::AddresseeLabel)) }
                        dd { bdi { (addressee) } }
                    }
                    @if let Some(reference) = &letter.metadata.reference {
                        dt { (ctx.t(Key::ReferenceLabel)) }
                        dd { bdi { (reference) } }
                    }
                    dt { (ctx.t(Key::ChannelLabel)) }
                    dd { (channel_name(ctx, letter.metadata.channel)) }
                }
            }
            @if let Some((hash, found)) = &outcome.document {
                @let class = if found.is_some() { "notice match" } else { "notice mismatch" };
                div #server-document-result class=(class) role="status" {
                    p {
                        @match found {
                            Some(i) => { (tf(ctx.lang, Key::DocMatch, &[("n", &(i + 1).to_string())])) }
                            None => { (ctx.t(Key::DocMismatch)) }
                        }
                    }
                    p { code.hash dir="ltr" { (hash) } }
                }
            }
            div.browser-check {
                p #browser-status .muted { (ctx.t(Key::BrowserNeedsJs)) }
            }
            h3 { (ctx.t(Key::ChecksTitle)) }
            ul #checks .checks {
                @for check in &outcome.checks {
                    @let class = if check.passed { "check pass" } else { "check fail" };
                    li class=(class) data-check=(check.name) {
                        span.badge { (if check.passed { ctx.t(Key::Passed) } else { ctx.t(Key::Failed) }) }
                        " "
                        span.check-name {
                            @match check_key(&check.name) {
                                Some(key) => { (ctx.t(key)) }
                                None => { (check.name) }
                            }
                        }
                        @if let Some(summary) = &check.summary {
                            " — " (summary)
                        }
                        @if let Some(technical) = &check.technical {
                            details {
                                summary { (ctx.t(Key::TechnicalDetail)) }
                                p.detail lang="en" dir="ltr" { (technical) }
                            }
                        }
                    }
                }
            }
            h3 { (ctx.t(Key::DocumentsTitle)) }
            @if outcome.documents.is_empty() {
                p { (ctx.t(Key::NoDocuments)) }
            } @else {
                div.table-scroll {
                    table #documents .documents {
                        thead {
                            tr {
                                th scope="col" { (ctx.t(Key::DocPosition)) }
                                @if outcome.letter.is_some() { th scope="col" { (ctx.t(Key::DocName)) } }
                                th scope="col" { (ctx.t(Key::DocSize)) }
                                th scope="col" { (ctx.t(Key::DocHash)) }
                            }
                        }
                        tbody {
                            @for d in &outcome.documents {
                                tr data-sha256=(d.sha256) {
                                    td { (d.position) }
                                    @if outcome.letter.is_some() {
                                        td { bdi { (d.name.as_deref().unwrap_or_default()) } }
                                    }
                                    td.nowrap { (format_size(ctx.lang, d.size)) }
                                    td.hash { code dir="ltr" { (d.sha256) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
