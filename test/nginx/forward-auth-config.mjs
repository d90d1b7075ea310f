// The nginx `auth_request` configuration apps/gateway/README.md documents ("nginx auth_request"), as the one source
// the e2e test (test/e2e/helpers/nginx.ts) and the bench (test/bench/lib/nginx.mjs) run: a copy per user drifted
// (the bench's lacked half the blanked identity headers). test/nginx/readme-config.test.ts checks that the README's
// block is exactly what this generates with the README's example addresses, so editing one without the other fails.

/** The README's example values: what the README block shows. */
export const README_EXAMPLE = Object.freeze({ listen: '80', authgate: '127.0.0.1:8080', app: '127.0.0.1:3001', keepalive: 16 })

/**
 * The README's `upstream authgate`, `upstream app` and `server` blocks (they go inside `http { }`), with the
 * addresses filled in. `keepalive` is the README's 16 unless given: the bench keeps 64 idle connections, as its
 * plain nginx-proxy does, so that 50 concurrent clients do not churn connections in one of the two only.
 * @param {{ listen: string, authgate: string, app: string, keepalive?: number }} options
 * @returns {string}
 */
export function forwardAuthServer ({ listen, authgate, app, keepalive = README_EXAMPLE.keepalive }) {
  return `upstream authgate { server ${authgate}; keepalive ${keepalive}; }
upstream app      { server ${app}; keepalive ${keepalive}; }

server {
  listen ${listen};
  underscores_in_headers off;   # the default: client headers like X_User_Id are dropped

  # The verifier: internal only, no body, and the original request named by nginx itself. proxy_set_header
  # replaces any copy the client sent; a client X-Forwarded-Uri is blanked (authgate refuses a mismatch).
  location = /_authgate/verify {
    internal;
    proxy_pass http://authgate/auth/verify;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
    proxy_set_header X-Original-URI $request_uri;     # raw, as the client sent it: authgate canonicalises it
    proxy_set_header X-Forwarded-Method $request_method;
    proxy_set_header X-Forwarded-Uri "";
    proxy_http_version 1.1;
    proxy_set_header Connection "";
  }

  # Sign-in, refresh, logout and the JWKS go to authgate itself, unguarded. Not /auth/verify: through this proxy its
  # peer would be nginx, which authgate trusts, so a client could name any original URI. The exact match wins.
  location = /auth/verify { return 404; }
  location /auth/ { proxy_pass http://authgate; proxy_http_version 1.1; proxy_set_header Connection ""; }
  location = /.well-known/jwks.json { proxy_pass http://authgate; }

  # Everything else: authgate decides (its routes: hold the policy of every path), nginx forwards.
  location / {
    auth_request /_authgate/verify;
    auth_request_set $authgate_user $upstream_http_x_user_id;
    auth_request_set $authgate_roles $upstream_http_x_user_roles;
    auth_request_set $authgate_session $upstream_http_x_session_id;
    auth_request_set $authgate_assertion $upstream_http_x_authgate_assertion;
    auth_request_set $authgate_email $upstream_http_x_auth_request_email;   # with headers.preset: oauth2-proxy
    # Every identity header is set here: an empty value sends none, so a client's own copy never gets through.
    proxy_set_header X-User-Id $authgate_user;
    proxy_set_header X-User-Roles $authgate_roles;
    proxy_set_header X-Session-Id $authgate_session;
    proxy_set_header X-Authgate-Assertion $authgate_assertion;
    proxy_set_header X-Auth-Request-Email $authgate_email;
    # Every other identity name is blanked: the other X-Auth-Request-* names, your headers.claims names (here the
    # example's x-user-email, x-user-name, x-tenant: add yours), and the routing overrides an upstream may obey.
    proxy_set_header X-Auth-Request-User "";
    proxy_set_header X-Auth-Request-Groups "";
    proxy_set_header X-Auth-Request-Preferred-Username "";
    proxy_set_header X-Forwarded-User "";
    proxy_set_header X-User-Email "";
    proxy_set_header X-User-Name "";
    proxy_set_header X-Tenant "";
    proxy_set_header X-Original-URL "";
    proxy_set_header X-Rewrite-URL "";
    proxy_set_header X-Forwarded-Prefix "";
    proxy_set_header X-Original-URI "";
    proxy_set_header X-Forwarded-Uri "";
    proxy_set_header Authorization "";               # the upstream gets the identity, not the token
    proxy_pass http://app;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
  }
}
`
}
