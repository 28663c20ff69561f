//! The HTML the local provider shows a browser: a login form with Allow and Deny, errors,
//! and the page after logout.

use std::collections::HashMap;

use flet_auth_primitives::html::escape;

use crate::users::MockUser;

const STYLE: &str =
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}\
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}select{font-size:1rem;padding:.3rem}";

/// The consent page: every authorization parameter is carried as a hidden field.
pub fn login_form(users: &[MockUser], params: &HashMap<String, String>) -> String {
    let hidden: String = params
        .iter()
        .filter(|(k, _)| k.as_str() != "username" && k.as_str() != "decision")
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let options: String = users
        .iter()
        .map(|u| format!("<option value=\"{0}\">{0}</option>", escape(&u.username)))
        .collect();
    let client = escape(params.get("client_id").map(String::as_str).unwrap_or(""));
    let scope = escape(params.get("scope").map(String::as_str).unwrap_or(""));
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sign in - flet-auth mock provider</title>\
<style>{STYLE}</style></head><body><h1>Sign in</h1>\
<p>The application <b id=\"client\">{client}</b> asks for: <code id=\"scope\">{scope}</code></p>\
<form method=\"post\" action=\"/authorize\">{hidden}\
<p><label>User <select name=\"username\" id=\"username\">{options}</select></label></p>\
<p><button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></p>\
</form></body></html>"
    )
}

/// The device verification page (RFC 8628 §3.3): the user code, the user, Allow and Deny.
pub fn device_form(users: &[MockUser], user_code: &str) -> String {
    let options: String = users
        .iter()
        .map(|u| format!("<option value=\"{0}\">{0}</option>", escape(&u.username)))
        .collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Connect a device - flet-auth mock provider</title>\
<style>{STYLE}</style></head><body><h1>Connect a device</h1>\
<form method=\"post\" action=\"/device\">\
<p><label>Code <input name=\"user_code\" id=\"user_code\" value=\"{}\"></label></p>\
<p><label>User <select name=\"username\" id=\"username\">{options}</select></label></p>\
<p><button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></p>\
</form></body></html>",
        escape(user_code)
    )
}

/// After the device verification page: back to the device.
pub fn device_done_page(allowed: bool) -> String {
    let text = if allowed {
        "The device is connected; you can close this page"
    } else {
        "The device was not connected"
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Device</title><style>{STYLE}</style></head>\
<body><h1 id=\"device-done\">{text}</h1></body></html>"
    )
}

pub fn error_page(message: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title><style>{STYLE}</style></head>\
<body><h1>Error</h1><p id=\"error\">{}</p></body></html>",
        escape(message)
    )
}

/// The end of an RP-initiated logout without a `post_logout_redirect_uri`.
pub fn signed_out_page() -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signed out</title><style>{STYLE}</style></head>\
<body><h1 id=\"signed-out\">You are signed out</h1></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::default_users;

    #[test]
    fn the_login_form_carries_every_parameter_escaped() {
        let params: HashMap<String, String> = [
            ("client_id", "mock-client"),
            ("state", "\"><script>alert(1)</script>"),
            ("decision", "allow"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let page = login_form(&default_users(), &params);
        assert!(!page.contains("<script>"));
        assert!(page.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(
            !page.contains("name=\"decision\" value=\"allow\">"),
            "the buttons decide"
        );
        assert!(page.contains("<option value=\"bob\">bob</option>"));
    }

    #[test]
    fn the_error_page_escapes_its_message() {
        assert!(error_page("<b>").contains("<p id=\"error\">&lt;b&gt;</p>"));
    }
}
