//! `flet_auth.OAuthToken`: Flet's token class over the engine's shared token cell.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::errors::Error;
use crate::python_json::py_float_repr;
use crate::rfc6749::refresh::REFRESH_LEEWAY;
use crate::rfc6749::token::{lock, Number, TokenCell, TokenData};

impl<'py> FromPyObject<'_, 'py> for Number {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if ob.is_instance_of::<PyBool>() {
            Err(PyTypeError::new_err("expected a number, not bool"))
        } else if ob.is_instance_of::<PyInt>() {
            Ok(Number::Int(ob.extract()?))
        } else if ob.is_instance_of::<PyFloat>() {
            Ok(Number::Float(ob.extract()?))
        } else {
            Err(PyTypeError::new_err("expected an int or a float"))
        }
    }
}

impl<'py> IntoPyObject<'py> for Number {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(match self {
            Number::Int(i) => i.into_pyobject(py)?.into_any(),
            Number::Float(f) => f.into_pyobject(py)?.into_any(),
        })
    }
}

/// OAuth token, as Flet's `flet.auth.OAuthToken`: same constructor, attributes and JSON.
#[pyclass(frozen, module = "flet_auth", name = "OAuthToken")]
pub struct OAuthToken {
    pub cell: TokenCell,
}

impl OAuthToken {
    pub fn new_shared(cell: TokenCell) -> Self {
        OAuthToken { cell }
    }

    fn data(&self) -> MutexGuard<'_, TokenData> {
        lock(&self.cell)
    }
}

#[pymethods]
impl OAuthToken {
    #[new]
    #[pyo3(signature = (access_token, scope=None, token_type=None, expires_in=None, expires_at=None, refresh_token=None, id_token=None))]
    fn py_new(
        access_token: String,
        scope: Option<Vec<String>>,
        token_type: Option<String>,
        expires_in: Option<Number>,
        expires_at: Option<Number>,
        refresh_token: Option<String>,
        id_token: Option<String>,
    ) -> Self {
        OAuthToken::new_shared(Arc::new(Mutex::new(TokenData {
            access_token,
            scope,
            token_type,
            expires_in,
            expires_at,
            refresh_token,
            id_token,
            dpop_key: None,
            extra: None,
        })))
    }

    /// Compact JSON with the `None` fields left out, as Flet writes it.
    fn to_json(&self) -> String {
        self.data().to_json()
    }

    /// A new token with the same fields, changed independently of this one (`copy.copy`).
    fn __copy__(&self) -> OAuthToken {
        OAuthToken::new_shared(Arc::new(Mutex::new(self.data().clone())))
    }

    /// `copy.deepcopy`: the fields are immutable values, so a copy is deep already.
    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> OAuthToken {
        self.__copy__()
    }

    /// Pickles as its JSON (`to_json`), read back by `from_json`, like Flet's token.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, (slf.get().data().to_json(),)))
    }

    /// Reads JSON written by `to_json` (ours or Flet's).
    #[staticmethod]
    fn from_json(data: &Bound<'_, PyAny>) -> PyResult<OAuthToken> {
        let text = if data.is_instance_of::<PyString>() {
            data.extract::<String>()?
        } else if let Ok(b) = data.extract::<Vec<u8>>() {
            String::from_utf8(b)
                .map_err(|_| Error::Configuration("saved token is not UTF-8".into()))?
        } else {
            return Err(PyTypeError::new_err("from_json() takes a str"));
        };
        Ok(OAuthToken::new_shared(Arc::new(Mutex::new(
            TokenData::from_json(&text)?,
        ))))
    }

    #[getter]
    fn get_access_token(&self) -> String {
        self.data().access_token.clone()
    }
    #[setter]
    fn set_access_token(&self, value: String) {
        self.data().access_token = value;
    }
    #[getter]
    fn get_scope(&self) -> Option<Vec<String>> {
        self.data().scope.clone()
    }
    #[setter]
    fn set_scope(&self, value: Option<Vec<String>>) {
        self.data().scope = value;
    }
    #[getter]
    fn get_token_type(&self) -> Option<String> {
        self.data().token_type.clone()
    }
    #[setter]
    fn set_token_type(&self, value: Option<String>) {
        self.data().token_type = value;
    }
    #[getter]
    fn get_expires_in(&self) -> Option<Number> {
        self.data().expires_in
    }
    #[setter]
    fn set_expires_in(&self, value: Option<Number>) {
        self.data().expires_in = value;
    }
    #[getter]
    fn get_expires_at(&self) -> Option<Number> {
        self.data().expires_at
    }
    #[setter]
    fn set_expires_at(&self, value: Option<Number>) {
        self.data().expires_at = value;
    }
    #[getter]
    fn get_refresh_token(&self) -> Option<String> {
        self.data().refresh_token.clone()
    }
    #[setter]
    fn set_refresh_token(&self, value: Option<String>) {
        self.data().refresh_token = value;
    }
    #[getter]
    fn get_id_token(&self) -> Option<String> {
        self.data().id_token.clone()
    }
    #[setter]
    fn set_id_token(&self, value: Option<String>) {
        self.data().id_token = value;
    }

    /// Whether the token expires within `leeway` seconds (by default `REFRESH_LEEWAY`, the
    /// services' rule) and can be refreshed.
    #[pyo3(signature = (leeway=None))]
    fn needs_refresh(&self, leeway: Option<f64>) -> bool {
        self.data().needs_refresh(leeway.unwrap_or(REFRESH_LEEWAY))
    }

    /// Whether the token can still be used: it has not expired, or it can be refreshed.
    fn is_usable(&self) -> bool {
        self.data().is_usable()
    }

    fn __repr__(&self) -> String {
        let d = self.data();
        let hidden = |v: &Option<String>| if v.is_some() { "'***'" } else { "None" };
        format!(
            "OAuthToken(access_token='***', scope={:?}, token_type={:?}, expires_in={}, expires_at={}, refresh_token={}, id_token={})",
            d.scope.clone().unwrap_or_default(),
            d.token_type.clone().unwrap_or_default(),
            d.expires_in.map(|n| n.as_f64().to_string()).unwrap_or("None".into()),
            d.expires_at.map(|n| py_float_repr(n.as_f64())).unwrap_or("None".into()),
            hidden(&d.refresh_token),
            hidden(&d.id_token),
        )
    }
}
