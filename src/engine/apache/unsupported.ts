/**
 * Directives the Apache import knows but does not map, with the reason it gives the
 * user. Anything not listed here or handled in collect.ts is reported as unsupported.
 */

const FILES = 'Switchyard serves no files of its own';
const LOGS = 'Switchyard keeps its own traffic log (the app’s Traffic view)';
const PROCESS = 'a server-process setting; Switchyard manages its own';
const FORWARD = 'a forward-proxy directive; Switchyard is never a forward proxy';
const CERTS =
  'certificates come from Switchyard’s local certificate authority, issued per hostname';
const TLS = 'TLS settings are Switchyard’s own';

const table: [string, string][] = [
  ...['documentroot', 'alias', 'aliasmatch', 'scriptalias', 'directoryindex', 'options'].map(
    (k): [string, string] => [k, FILES],
  ),
  ...['allowoverride', 'accessfilename', 'addtype', 'addhandler', 'typesconfig'].map(
    (k): [string, string] => [k, FILES],
  ),
  ...['errorlog', 'customlog', 'transferlog', 'loglevel', 'logformat'].map(
    (k): [string, string] => [k, LOGS],
  ),
  ...[
    'user',
    'group',
    'serverroot',
    'pidfile',
    'mutex',
    'startservers',
    'minspareservers',
    'maxspareservers',
    'minsparethreads',
    'maxsparethreads',
    'maxrequestworkers',
    'maxclients',
    'serverlimit',
    'threadsperchild',
    'threadlimit',
    'maxconnectionsperchild',
    'maxrequestsperchild',
    'keepalive',
    'keepalivetimeout',
    'maxkeepaliverequests',
    'hostnamelookups',
    'enablesendfile',
    'enablemmap',
    'servertokens',
    'serversignature',
    'serveradmin',
    'usecanonicalname',
    'traceenable',
    'adddefaultcharset',
    'defaultruntimedir',
  ].map((k): [string, string] => [k, PROCESS]),
  ['include', 'included files are not read; import each file on its own'],
  ['includeoptional', 'included files are not read; import each file on its own'],
  // mod_rewrite's proxy subset, mod_alias redirects and ProxyPassMatch are read in
  // collect.ts (rewrite.ts, redirects.ts); RewriteMap is reported there.
  ...['proxyremote', 'proxyremotematch', 'proxyblock', 'noproxy', 'proxydomain'].map(
    (k): [string, string] => [k, FORWARD],
  ),
  ['allowconnect', 'CONNECT is always refused: Switchyard is never a forward proxy'],
  ['proxyerroroverride', 'backend error pages are passed through unchanged'],
  ['proxystatus', 'member statistics are in the app’s Balancers view'],
  ...['proxyhcexpr', 'proxyhctemplate', 'proxyhctpsize'].map((k): [string, string] => [
    k,
    'custom health-check expressions are not supported (healthCheck.expect takes a status range)',
  ]),
  ...[
    'sslcertificatefile',
    'sslcertificatekeyfile',
    'sslcertificatechainfile',
    'sslcacertificatefile',
  ].map((k): [string, string] => [k, CERTS]),
  ...[
    'sslprotocol',
    'sslciphersuite',
    'sslhonorcipherorder',
    'sslcompression',
    'sslsessiontickets',
    'sslusestapling',
    'sslstaplingcache',
    'sslsessioncache',
    'sslsessioncachetimeout',
    'sslopensslconfcmd',
    'sslrandomseed',
    'sslpassphrasedialog',
    'sslproxyverify',
    'sslproxycheckpeercn',
    'sslproxycheckpeername',
    'sslproxycheckpeerexpire',
  ].map((k): [string, string] => [k, TLS]),
];

export const IGNORED: Readonly<Record<string, string>> = Object.fromEntries(table);

/** Known directives that need nothing in Switchyard and deserve no warning. */
export const SILENT: ReadonlySet<string> = new Set([
  // Switchyard reaches https:// backends without a switch.
  'sslproxyengine',
]);
