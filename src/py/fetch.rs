//! `service.fetch()`: the call's arguments read from Python, and `FetchResponse`, what comes
//! back. The engine is `service::fetch`.

use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyMapping, PyString};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

use std::sync::Arc;

use crate::errors::Error;
use crate::py::bridge::{block_on_with, py_future_with};
use crate::py::hooks;
use crate::py::json::PyJson;
use crate::rfc6749::provider::ProviderConfig;
use crate::service::fetch::{self, ApiRequest};
use crate::service::Service;
use crate::transport::request::Outgoing;
use crate::transport::Response;

/// The arguments of `fetch(method, url, *, params, json, data, headers)`.
pub struct FetchArgs<'a, 'py> {
    pub method: &'a str,
    pub url: &'a str,
    pub params: Option<&'a Bound<'py, PyAny>>,
    pub json: Option<&'a Bound<'py, PyAny>>,
    pub data: Option<&'a Bound<'py, PyAny>>,
    pub headers: Option<&'a Bound<'py, PyAny>>,
}

impl FetchArgs<'_, '_> {
    /// The checked call; `provider` (the Python object) gives `api_base_url`, read now.
    pub fn request(
        self,
        provider: Option<&Bound<'_, PyAny>>,
        config: &ProviderConfig,
    ) -> PyResult<ApiRequest> {
        let method = fetch::method(self.method)?;
        let params = match given(self.params) {
            Some(p) => pairs("params", p)?,
            None => Vec::new(),
        };
        let base = match provider {
            Some(p) => api_base_url(p)?,
            None => None,
        };
        let url = fetch::resolve(
            self.url,
            base.as_deref(),
            &params,
            config.allow_insecure_http,
        )?;
        let mut headers = HeaderMap::new();
        let body = match (given(self.json), given(self.data)) {
            (Some(_), Some(_)) => {
                return Err(Error::Configuration("pass json= or data=, not both".into()).into())
            }
            (Some(json), None) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(json_body(json)?)
            }
            (None, Some(data)) => Some(data_body(data, &mut headers)?),
            (None, None) => None,
        };
        if let Some(own) = given(self.headers) {
            for (name, value) in header_pairs(own)? {
                headers.insert(name, value);
            }
        }
        Ok(ApiRequest {
            method,
            url,
            outgoing: Outgoing { headers, body },
        })
    }
}

/// A service's `fetch`: an awaitable of the answer to `call`, made with the current token
/// (renewed first when it is due; `hook` gets the new one).
pub fn fetch_awaitable<'py>(
    py: Python<'py>,
    service: &Arc<Service>,
    hook: &Option<Arc<Py<PyAny>>>,
    call: ApiRequest,
) -> PyResult<Bound<'py, PyAny>> {
    let (service, hook) = (service.clone(), hook.clone());
    py_future_with(py, hook.is_some(), move |caller| async move {
        let notify = hooks::notify(&hook, &caller);
        service.fetch(call, notify).await.map(FetchResponse::from)
    })
}

/// `fetch_awaitable` for code without an event loop.
pub fn fetch_blocking(
    py: Python<'_>,
    service: &Arc<Service>,
    hook: &Option<Arc<Py<PyAny>>>,
    call: ApiRequest,
) -> PyResult<FetchResponse> {
    let (service, hook) = (service.clone(), hook.clone());
    block_on_with(py, move |caller| async move {
        let notify = hooks::notify(&hook, &caller);
        service.fetch(call, notify).await.map(FetchResponse::from)
    })
}

fn given<'a, 'py>(value: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none())
}

/// `provider.api_base_url`, the base of relative URLs; None when it has none.
fn api_base_url(provider: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let Some(base) = provider
        .getattr_opt("api_base_url")?
        .filter(|v| !v.is_none())
    else {
        return Ok(None);
    };
    let base = base.extract::<String>().map_err(|_| {
        PyErr::from(Error::Configuration(
            "provider.api_base_url must be a string".into(),
        ))
    })?;
    Ok(Some(base))
}

/// The Python type's name of `value`, for error messages (never the value: it may be secret).
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A mapping of str to str, int or float, as query or form pairs (booleans as `true`/`false`).
fn pairs(what: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a mapping, not {}",
            type_name(value)
        ))
    })?;
    let mut out = Vec::with_capacity(mapping.len()?);
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let name = key
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("{what} keys must be str")))?
            .to_cow()?
            .into_owned();
        let text = if let Ok(s) = value.cast::<PyString>() {
            s.to_cow()?.into_owned()
        } else if let Ok(b) = value.cast::<PyBool>() {
            if b.is_true() { "true" } else { "false" }.to_owned()
        } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
            value.str()?.to_cow()?.into_owned()
        } else {
            return Err(PyTypeError::new_err(format!(
                "{what}[{name:?}] must be a str, int or float, not {}",
                type_name(&value)
            )));
        };
        out.push((name, text));
    }
    Ok(out)
}

/// The caller's headers: str names and values. `Authorization` is refused: fetch sends the
/// service's token there. Values are never quoted in errors (they may be API keys).
fn header_pairs(value: &Bound<'_, PyAny>) -> PyResult<Vec<(HeaderName, HeaderValue)>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "headers must be a mapping of str to str, not {}",
            type_name(value)
        ))
    })?;
    let mut out = Vec::with_capacity(mapping.len()?);
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let name = key
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("headers must be a mapping of str to str"))?
            .to_cow()?
            .into_owned();
        let text = value.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "headers[{name:?}] must be a str, not {}",
                type_name(&value)
            ))
        })?;
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Configuration(format!("{name:?} is not a valid header name")))?;
        if header == AUTHORIZATION {
            return Err(Error::Configuration(
                "headers may not set Authorization: fetch sends the service's token there".into(),
            )
            .into());
        }
        let text = HeaderValue::from_str(&text.to_cow()?).map_err(|_| {
            Error::Configuration(format!("headers[{name:?}] is not a valid header value"))
        })?;
        out.push((header, text));
    }
    Ok(out)
}

/// `json=`: the document as Python's `json.dumps` writes it (NaN refused).
fn json_body(value: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    let py = value.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("allow_nan", false)?;
    let text = py
        .import("json")?
        .call_method("dumps", (value,), Some(&kwargs))?
        .extract::<String>()?;
    Ok(Bytes::from(text))
}

/// `data=`: a mapping sent as a form, or a str or bytes sent as they are.
fn data_body(value: &Bound<'_, PyAny>, headers: &mut HeaderMap) -> PyResult<Bytes> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(bytes.as_bytes()));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Bytes::from(text.to_cow()?.into_owned()));
    }
    if value.cast::<PyMapping>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "data must be a mapping, a str or bytes, not {}",
            type_name(value)
        )));
    }
    let form = pairs("data", value)?;
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    Ok(Bytes::from(encoded))
}

/// The answer of `fetch()`: `status`, `headers` (a dict with lower-case names), `content`,
/// `text` and `json()`. A 4xx or 5xx is an answer, not an error: `raise_for_status()` makes
/// it one.
#[pyclass(frozen, module = "flet_auth", name = "FetchResponse")]
pub struct FetchResponse {
    status: u16,
    headers: Vec<(String, String)>,
    content_type: String,
    body: Bytes,
    endpoint: String,
}

impl From<Response> for FetchResponse {
    fn from(r: Response) -> Self {
        let mut headers: Vec<(String, String)> = Vec::with_capacity(r.headers.keys_len());
        for name in r.headers.keys() {
            let values: Vec<String> = r
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            headers.push((name.as_str().to_owned(), values.join(", ")));
        }
        FetchResponse {
            status: r.status,
            headers,
            content_type: r.content_type,
            body: r.body,
            endpoint: r.endpoint,
        }
    }
}

/// The label of a `Content-Type`'s `charset` parameter, if any.
fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

#[pymethods]
impl FetchResponse {
    /// The HTTP status code.
    #[getter]
    fn status(&self) -> u16 {
        self.status
    }

    /// The answer's headers, names in lower case; repeated headers joined with ", ".
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.headers {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// The body as bytes.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body)
    }

    /// The body decoded by the `Content-Type` charset (UTF-8 when it names none; bytes that
    /// do not decode are replaced).
    #[getter]
    fn text(&self) -> String {
        let encoding = charset(&self.content_type)
            .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        encoding.decode(&self.body).0.into_owned()
    }

    /// The body parsed as JSON; `InvalidResponseError` when it is not JSON.
    fn json(&self) -> PyResult<PyJson> {
        let value: Value = serde_json::from_slice(&self.body)
            .map_err(|_| Error::invalid_response(self.status, &self.endpoint, "not JSON"))?;
        Ok(PyJson(value))
    }

    /// Raises `HTTPStatusError` (with `status`) for a 4xx or 5xx answer; returns the response
    /// otherwise.
    fn raise_for_status(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let me = slf.get();
        if me.status >= 400 {
            return Err(Error::HttpStatus {
                status: me.status,
                endpoint: me.endpoint.clone(),
            }
            .into());
        }
        Ok(slf)
    }

    /// Status and endpoint (host and path); never the body or the query.
    fn __repr__(&self) -> String {
        format!("<FetchResponse [{}] {}>", self.status, self.endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_is_read_from_the_content_type() {
        assert_eq!(
            charset("text/plain; charset=\"ISO-8859-1\""),
            Some("ISO-8859-1")
        );
        assert_eq!(charset("application/json"), None);
    }
}
