"""The framework-neutral core of web logins; `flet_auth.flask` is a thin layer over it.

Framework objects never enter the core: a layer passes plain values in (the session as a
mutable mapping, the redirect's query as a mapping, the app's config) and turns the results
into its own responses. Each module is one concept:

- `stores`: `TokenStore` (expiring values and short locks), `SQLiteStore`, `RedisStore`,
  `open_store(url)`;
- `logins`: the records kept server side, `StoredLogin` and `PendingLogin`;
  `login_codec`: their store keys and encryption; `login_store`: `LoginStore` over a store;
- `settings`: the `FLET_AUTH_*` settings; `session`: what the browser's session holds;
  `csrf`: CSRF tokens; `redirects`: the same-site `next` rule and the redirect URI;
  `redirect_host`: the warning of a redirect URI that follows the request's Host header;
- `provider_settings`: providers from Authlib-named settings; `clients`: `WebClient`, one
  registered provider;
- `login_flow`: a login from the authorization request to the redirect back;
  `browser_login`: `BrowserLogin`, the login of the request's browser; `refresh`: one
  refresh for all workers under the store's lock; `logout`: revocation and end-session;
- `events`: `AuthEvent` and the app's handlers; `errors`: `StoreUnavailableError` and the
  answer to each failure; `pages`: the HTML error page.

Async apps (`flet_auth.starlette`) use the async twins, which share the sync modules' rules
and make the same store calls with `await`: `stores` (`AsyncTokenStore`, `AsyncRedisStore`,
`AsyncSQLiteStore`, `AsyncMemoryStore`, `OffLoopStore`), `async_login_store`,
`async_login_flow`, `async_browser_login`, `async_refresh` and `async_logout`.

Protocol rules are the engine's: `OAuthToken.needs_refresh()` / `is_usable()`, `LOGIN_TTL`,
`restore_login()` and `check_authorization_response()`.
"""
