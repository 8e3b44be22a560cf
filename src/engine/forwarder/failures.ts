/**
 * Failures of the upstream side of an exchange, in Switchyard's terms: what kind of thing
 * went wrong, whatever the transport's own error type was.
 */
export type FailureKind =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'unresolved'
  | 'protocol'
  /** The route's timeout ran out while the backend was waiting for the client's body. */
  | 'client-timeout'
  | 'other';

export interface ForwardFailure {
  kind: FailureKind;
  error: Error;
  /**
   * A connection to the backend was established, so request bytes may have reached it.
   * When false the request can go to another member whatever its method.
   */
  connected: boolean;
}

/** The kind of an error from a transport or a socket (Node's codes and undici's). */
export function classify(error: NodeJS.ErrnoException): FailureKind {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_HTTP2_STREAM_ERROR':
    case 'ERR_HTTP2_GOAWAY_SESSION':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unresolved';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout';
    case 'ERR_HTTP2_NOT_HTTP2':
    case 'ERR_HTTP2_ERROR':
    case 'ERR_HTTP2_SESSION_ERROR':
    case 'ERR_HTTP2_INVALID_HEADER_VALUE':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_HEADERS_OVERFLOW':
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
    case 'ERR_INVALID_CHAR':
    case 'ERR_HTTP_INVALID_HEADER_VALUE':
    case 'ERR_INVALID_HTTP_TOKEN':
      return 'protocol';
    default:
      if (error.code?.startsWith('HPE_') || error.name === 'HTTPParserError') return 'protocol';
      return 'other';
  }
}

/** Errors that say a reused keep-alive connection was closed under a request. */
export function isConnectionReset(error: NodeJS.ErrnoException): boolean {
  return classify(error) === 'reset';
}
