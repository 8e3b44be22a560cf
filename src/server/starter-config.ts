/** The commented routing file `switchyard init` writes: valid as written, explained inline. */
export const STARTER_CONFIG = `# Switchyard routing file. Reference: README.md, JSON Schema: schema/switchyard.schema.json
# Edits apply live while \`switchyard\` runs; an invalid edit is reported and ignored.
version: 1

listeners:
  - name: web
    port: 8080
    # address: 127.0.0.1     # default: this machine only

# Clients allowed to use the proxy (Apache <Proxy *> Require ip). Default: loopback only.
# access:
#   allow: [127.0.0.0/8, "::1"]

routes: # ordered; the first match wins
  - name: app
    match:
      host: app.localhost # optional; exact, or "*.shop.test" for any subdomain
      path: / # prefix on a segment boundary: /api matches /api/x, not /apix
    to: http://127.0.0.1:3000/ # ProxyPass target
    # preserveHost: false    # ProxyPreserveHost: send the client's Host to the backend
    # reverse: true          # ProxyPassReverse: rewrite Location and cookie paths
    # websocket: true        # tunnel WebSocket upgrades
    # timeout: 30s           # ProxyTimeout: answer 504 when the backend is slower
    # headers:
    #   request: { set: { X-Forwarded-Proto: https }, remove: [] }
    #   response: { set: {}, remove: [Server] }

  - name: api
    match: { path: /api }
    to: http://127.0.0.1:4000/api
`;
