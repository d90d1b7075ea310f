// Our own nginx (Debian's package, never the system service) in front of an upstream, asking authgate's
// /auth/verify through `auth_request` and copying the identity headers it answers with `auth_request_set`. The
// configuration is the one apps/gateway/README.md documents ("nginx auth_request"), with ports and temp paths filled in.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureNginx } from '../../bench/lib/nginx.mjs'
import { startChild, waitForPort } from '../../bench/lib/children.mjs'
import { freePort } from '../../mongo/test-database.mjs'

export function nginxForwardAuthConfig (dir: string, port: number, authgatePort: number, appPort: number): string {
  const temp = (name: string): string => join(dir, 'temp', name)
  return `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};

  upstream authgate { server 127.0.0.1:${authgatePort}; keepalive 16; }
  upstream app { server 127.0.0.1:${appPort}; keepalive 16; }

  server {
    listen 127.0.0.1:${port};
    # nginx already drops client headers with underscores (X_User_Id): keep it that way.
    underscores_in_headers off;

    # The verifier: internal only, no body, and the original request named by nginx itself. proxy_set_header
    # replaces any copy the client sent (a client X-Forwarded-Uri is blanked: authgate would refuse a mismatch).
    location = /_authgate/verify {
      internal;
      proxy_pass http://authgate/auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Forwarded-Uri "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }

    # Sign-in, refresh, logout and the JWKS go to authgate itself, unguarded. Not /auth/verify: through this proxy
    # its peer would be nginx, which authgate trusts, so a client could name any original URI. The exact match wins.
    location = /auth/verify { return 404; }
    location /auth/ {
      proxy_pass http://authgate;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location = /.well-known/jwks.json { proxy_pass http://authgate; }

    # Everything else: authgate decides (its routes: table holds the policy of every path), nginx forwards.
    location / {
      auth_request /_authgate/verify;
      auth_request_set $authgate_user $upstream_http_x_user_id;
      auth_request_set $authgate_roles $upstream_http_x_user_roles;
      auth_request_set $authgate_session $upstream_http_x_session_id;
      auth_request_set $authgate_assertion $upstream_http_x_authgate_assertion;
      auth_request_set $authgate_email $upstream_http_x_auth_request_email;
      # Every identity header is set here: an empty value (anonymous, or a claim authgate did not send) makes
      # nginx send none at all, so a client's own copy never gets through.
      proxy_set_header X-User-Id $authgate_user;
      proxy_set_header X-User-Roles $authgate_roles;
      proxy_set_header X-Session-Id $authgate_session;
      proxy_set_header X-Authgate-Assertion $authgate_assertion;
      proxy_set_header X-Auth-Request-Email $authgate_email;
      # Every other identity name is blanked: the other X-Auth-Request-* names, the headers.claims names the README
      # uses as its example, and the routing overrides an upstream may obey.
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
      proxy_set_header Authorization "";
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
}

export interface RunningNginx { port: number, stop: () => Promise<void> }

/**
 * Starts nginx (installing the Debian package when missing and possible). Without nginx, a failure under CI=true
 * (CI installs it: scripts/install-system-deps.sh), otherwise `null` with the reason, for the test to skip.
 */
export async function startForwardAuthNginx (dir: string, authgatePort: number, appPort: number): Promise<RunningNginx | { reason: string }> {
  const found = ensureNginx((line: string) => { console.error(line) }) as { bin: string | null, reason?: string }
  if (found.bin === null) {
    const reason = found.reason ?? 'nginx not found'
    if (process.env.CI === 'true') throw new Error(`nginx is required under CI (scripts/install-system-deps.sh installs it): ${reason}`)
    return { reason }
  }
  mkdirSync(join(dir, 'temp'), { recursive: true })
  const port = await freePort() as number
  const confPath = join(dir, 'nginx.conf')
  writeFileSync(confPath, nginxForwardAuthConfig(dir, port, authgatePort, appPort))
  const handle = startChild('nginx', found.bin, ['-p', dir, '-e', join(dir, 'error.log'), '-c', confPath, '-g', 'daemon off;'])
  await waitForPort(handle, port, 10_000)
  return { port, stop: handle.stop as () => Promise<void> }
}
