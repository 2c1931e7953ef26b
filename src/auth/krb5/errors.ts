// Typed errors for the Kerberos 5 client. Every failure carries a stable `code` string so callers
// (and tests) branch on it, never on message text. Messages never contain keys or tickets.

export class Krb5Error extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Krb5Error';
    this.code = code;
  }
}

/** Malformed or out-of-bounds DER. */
export class Asn1Error extends Krb5Error {
  constructor(
    code: 'ASN1_TRUNCATED' | 'ASN1_BAD_TAG' | 'ASN1_BAD_LENGTH' | 'ASN1_BAD_VALUE',
    message: string,
  ) {
    super(code, message);
    this.name = 'Asn1Error';
  }
}

/** Integrity check failed, unknown enctype, bad key length. */
export class Krb5CryptoError extends Krb5Error {
  constructor(
    code: 'KRB5_BAD_INTEGRITY' | 'KRB5_BAD_ENCTYPE' | 'KRB5_BAD_KEYSIZE' | 'KRB5_BAD_MSIZE',
    message: string,
  ) {
    super(code, message);
    this.name = 'Krb5CryptoError';
  }
}

/** Names of the RFC 4120 §7.5.9 error codes we act on or expect to see. */
export const KRB_ERROR_NAMES: Readonly<Record<number, string>> = {
  6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
  7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
  11: 'KDC_ERR_NEVER_VALID',
  12: 'KDC_ERR_POLICY',
  13: 'KDC_ERR_BADOPTION',
  14: 'KDC_ERR_ETYPE_NOSUPP',
  18: 'KDC_ERR_CLIENT_REVOKED',
  23: 'KDC_ERR_KEY_EXPIRED',
  24: 'KDC_ERR_PREAUTH_FAILED',
  25: 'KDC_ERR_PREAUTH_REQUIRED',
  31: 'KRB_AP_ERR_BAD_INTEGRITY',
  32: 'KRB_AP_ERR_TKT_EXPIRED',
  33: 'KRB_AP_ERR_TKT_NYV',
  37: 'KRB_AP_ERR_SKEW',
  41: 'KRB_AP_ERR_MODIFIED',
  52: 'KRB_ERR_RESPONSE_TOO_BIG',
  60: 'KRB_ERR_GENERIC',
  68: 'KDC_ERR_WRONG_REALM',
};

export const KDC_ERR_C_PRINCIPAL_UNKNOWN = 6;
export const KDC_ERR_S_PRINCIPAL_UNKNOWN = 7;
export const KDC_ERR_PREAUTH_FAILED = 24;
export const KDC_ERR_PREAUTH_REQUIRED = 25;
export const KRB_AP_ERR_SKEW = 37;
export const KRB_ERR_RESPONSE_TOO_BIG = 52;

/** A KRB-ERROR message from the KDC. `code` is the symbolic name (e.g. KDC_ERR_PREAUTH_FAILED). */
export class KdcError extends Krb5Error {
  readonly errorCode: number;
  readonly eText: string | undefined;
  readonly eData: Buffer | undefined;
  /** The KDC's clock when it answered (used to report skew). */
  readonly serverTime: Date | undefined;
  constructor(errorCode: number, eText?: string, eData?: Buffer, serverTime?: Date) {
    const name = KRB_ERROR_NAMES[errorCode] ?? `KRB_ERR_${errorCode}`;
    super(name, `KDC answered ${name} (${errorCode})${eText ? `: ${eText}` : ''}`);
    this.name = 'KdcError';
    this.errorCode = errorCode;
    this.eText = eText;
    this.eData = eData;
    this.serverTime = serverTime;
  }
}

/** No KDC answered before the deadline, or every KDC refused the connection. */
export class KdcUnreachableError extends Krb5Error {
  readonly realm: string;
  constructor(realm: string, message: string, options?: { cause?: unknown }) {
    super('KRB5_KDC_UNREACH', message, options);
    this.name = 'KdcUnreachableError';
    this.realm = realm;
  }
}
